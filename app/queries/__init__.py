"""Read side: one module per page, with ``common`` and ``points`` for what several pages share."""
