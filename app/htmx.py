"""htmx helpers: partial detection, block rendering, response events."""

from __future__ import annotations

import json

from flask import Response, render_template, request
from jinja2_fragments.flask import render_block


def is_partial() -> bool:
    """Tell whether to answer with a fragment: an htmx request, not boosted, not a history restore."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(template: str, block: str | None = None, status: int = 200, **context) -> Response:
    """Render the full *template*, or only its *block* for an htmx partial request."""
    if block and is_partial():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = Response(body, status=status, mimetype="text/html")
    response.vary.add("HX-Request")
    return response


def fragment(template: str, status: int = 200, *, oob: tuple[tuple[str, dict], ...] = (), **context) -> Response:
    """Render the include *template* as an htmx answer, followed by out-of-band fragments *oob*.

    Each of *oob* is a template and its context; the template carries its own ``hx-swap-oob``.
    """
    body = render_template(template, **context) + "".join(render_template(t, **c) for t, c in oob)
    response = Response(body, status=status, mimetype="text/html")
    response.vary.add("HX-Request")
    return response


def removed() -> Response:
    """Return the htmx answer that removes its target: an empty body, swapped with ``outerHTML``."""
    response = Response("", mimetype="text/html")
    response.vary.add("HX-Request")
    return response


def trigger(response: Response, event: str, detail: object = True) -> Response:
    """Add an ``HX-Trigger`` event to *response*, keeping events already set."""
    events = json.loads(response.headers.get("HX-Trigger", "{}") or "{}")
    events[event] = detail
    response.headers["HX-Trigger"] = json.dumps(events)
    return response
