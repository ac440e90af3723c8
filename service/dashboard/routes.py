"""`GET /dashboard`: the CCO dashboard page and its assets, all served from here (no CDN, no external resource).

The page holds no data: it asks for an API key and reads `/v1/personas` and `/v1/customers` like any client.
Asset URLs carry a content hash (`?v=`), so the assets can be cached for a year and still change on upgrade.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from dataclasses import dataclass
from functools import cache
from importlib import metadata, resources
from typing import Annotated

from fastapi import APIRouter, Header, Path
from fastapi.responses import HTMLResponse, Response

from service.errors import Problem

router = APIRouter(tags=["dashboard"], include_in_schema=False)

STATIC = resources.files("service.dashboard") / "static"
# The only files /dashboard/static/{name} serves: nothing else in (or outside) the folder is reachable.
MEDIA_TYPES = {"dashboard.js": "text/javascript; charset=utf-8", "dashboard.css": "text/css; charset=utf-8"}
PLOTLY = "plotly.min.js"
LONG_CACHE = "public, max-age=31536000, immutable"
# The page loads its own script and style only, talks only to this origin, and cannot be framed.
# Plotly writes <style> elements and style attributes, hence 'unsafe-inline' for styles (never for scripts).
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    media_type: str
    version: str


def _asset(body: bytes, media_type: str) -> Asset:
    version = hashlib.sha256(body).hexdigest()[:16]
    return Asset(body, gzip.compress(body, compresslevel=6, mtime=0), media_type, version)


@cache
def static_asset(name: str) -> Asset:
    return _asset((STATIC / name).read_bytes(), MEDIA_TYPES[name])


_plotly_lock = threading.Lock()


@cache
def _plotly_asset() -> Asset:
    from plotly.offline import (
        get_plotlyjs,  # imported here: the bundle is ~5 MB of JS, built once per process
    )

    return _asset(get_plotlyjs().encode(), "text/javascript; charset=utf-8")


def plotly_asset() -> Asset:
    with _plotly_lock:  # the first requests may arrive together; build the bundle once
        return _plotly_asset()


def asset_url(name: str) -> str:
    # Plotly's bundle changes only with the package: its version names it without building it.
    version = metadata.version("plotly") if name == PLOTLY else static_asset(name).version
    # Relative to /dashboard, so the page also works behind a path prefix.
    return f"dashboard/static/{name}?v={version}"


@cache
def page() -> bytes:
    html = (STATIC / "dashboard.html").read_text(encoding="utf-8")
    for name in (*MEDIA_TYPES, PLOTLY):
        html = html.replace("{{ " + name + " }}", asset_url(name))
    return html.encode()


def asset_response(asset: Asset, accept_encoding: str | None) -> Response:
    headers = {"Cache-Control": LONG_CACHE, "Vary": "Accept-Encoding", "X-Content-Type-Options": "nosniff"}
    if accept_encoding and "gzip" in accept_encoding.lower():
        headers["Content-Encoding"] = "gzip"
        return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard() -> HTMLResponse:
    """The CCO dashboard page; it asks for a read (or admin) key and polls /v1/personas."""
    return HTMLResponse(page(), headers=PAGE_HEADERS)


@router.get("/dashboard/static/plotly.min.js")
def plotly_js(accept_encoding: Annotated[str | None, Header()] = None) -> Response:
    """Plotly's bundled JS from the installed plotly package."""
    return asset_response(plotly_asset(), accept_encoding)


@router.get("/dashboard/static/{name}")
def static_file(
    name: Annotated[str, Path(max_length=40)], accept_encoding: Annotated[str | None, Header()] = None
) -> Response:
    """The dashboard's own script and stylesheet; any other name is 404."""
    if name not in MEDIA_TYPES:
        raise Problem(404, f"No dashboard file '{name}'.")
    return asset_response(static_asset(name), accept_encoding)
