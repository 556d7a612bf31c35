"""Read side: what the pages and the API show, one module per page (``common`` for what they share)."""
