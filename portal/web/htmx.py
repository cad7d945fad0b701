"""htmx helpers: one template per screen, its named blocks rendered alone for htmx."""
from __future__ import annotations

from flask import Response, make_response, request
from jinja2_fragments.flask import render_block


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def render(template: str, block: str | None = None, status: int = 200, **context) -> Response:
    """The full page, or only `block` when htmx asked for a fragment."""
    if block and is_htmx():
        body = render_block(template, block, **context)
    else:
        from flask import render_template
        body = render_template(template, **context)
    response = make_response(body, status)
    response.headers.add("Vary", "HX-Request")
    return response


def fragment(template: str, *blocks: str, status: int = 200, **context) -> Response:
    """Several named blocks of one template, concatenated (e.g. a region plus out-of-band parts)."""
    body = "".join(render_block(template, block, **context) for block in blocks)
    response = make_response(body, status)
    response.headers.add("Vary", "HX-Request")
    return response
