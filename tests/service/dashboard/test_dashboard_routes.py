"""The dashboard page and its assets: self-contained (nothing loaded from elsewhere) and only known files served."""

from __future__ import annotations

import gzip
import re
import socket
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from service.dashboard import routes


class Resources(HTMLParser):
    """Every URL the page would load: script src, link href, img/iframe/source src, and inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_script_without_src = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "href"):
            if values.get(name) and tag in {"script", "link", "img", "iframe", "source", "embed", "object"}:
                self.urls.append(values[name] or "")
        self._in_script_without_src = tag == "script" and not values.get("src")

    def handle_data(self, data: str) -> None:
        if self._in_script_without_src and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script_without_src = False


def page_resources(html: str) -> Resources:
    parser = Resources()
    parser.feed(html)
    return parser


def test_dashboard_page_is_html_with_only_local_resources(client: TestClient) -> None:
    response = client.get("/dashboard")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    for element_id in ("key-input", "key-submit", "key-forget", "status", "quadrant", "core-growth-list"):
        assert f'id="{element_id}"' in html
    resources = page_resources(html)
    assert resources.inline_scripts == 0
    assert resources.urls, "the page loads its script and stylesheet"
    assert not [u for u in resources.urls if re.match(r"^\s*(https?:)?//", u, re.IGNORECASE)]
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert "{{" not in html, "every asset placeholder is filled in"
    # Relative URLs resolve under /dashboard's folder: every one of them is served (the icon is inline).
    served = [url for url in resources.urls if not url.startswith("data:")]
    for url in served:
        assert url.startswith("dashboard/static/")
        assert client.get("/" + url).status_code == 200, url
    assert {u.split("?")[0] for u in served} == {
        "dashboard/static/dashboard.css",
        "dashboard/static/dashboard.js",
        "dashboard/static/plotly.min.js",
    }


def test_dashboard_page_forbids_other_origins(client: TestClient) -> None:
    headers = client.get("/dashboard").headers
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self';" in csp
    assert "connect-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-cache"


def test_dashboard_is_not_in_the_api_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [path for path in paths if path.startswith("/dashboard")]


@pytest.mark.parametrize(
    ("name", "media_type", "marker"),
    [("dashboard.js", "text/javascript", "sessionStorage"), ("dashboard.css", "text/css", ".persona-card")],
)
def test_static_files_are_served(client: TestClient, name: str, media_type: str, marker: str) -> None:
    response = client.get(f"/dashboard/static/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert marker in response.text
    assert "max-age=31536000" in response.headers["cache-control"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_script_keeps_the_key_in_session_storage_only(client: TestClient) -> None:
    script = client.get("/dashboard/static/dashboard.js").text
    assert "sessionStorage.setItem" in script
    assert not re.search(r"\blocalStorage\s*[.\[]", script)
    assert not re.search(r"https?://", script)


def test_static_files_are_gzipped_for_clients_that_accept_it(client: TestClient) -> None:
    plain = client.get("/dashboard/static/dashboard.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    raw = client.get("/dashboard/static/dashboard.js", headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    assert raw.headers["vary"] == "Accept-Encoding"
    assert raw.text == plain.text  # httpx decodes it
    assert gzip.decompress(routes.static_asset("dashboard.js").gzipped) == plain.content


@pytest.mark.parametrize(
    "name",
    ["dashboard.html", "nope.js", "routes.py", "__init__.py", "..%2Froutes.py", "%2E%2E%2F__init__.py"],
)
def test_unknown_static_names_are_404(client: TestClient, name: str) -> None:
    response = client.get(f"/dashboard/static/{name}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def raw_get(base_url: str, target: str) -> tuple[int, bytes]:
    """GET with the request target sent byte for byte: httpx (and so TestClient) resolves `..` segments
    before sending, so a traversal attempt through it never reaches the server as one."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.mark.parametrize(
    "target",
    [
        "/dashboard/static/../routes.py",
        "/dashboard/static/../../app.py",
        "/dashboard/static/..%2Froutes.py",
        "/dashboard/static/%2e%2e/routes.py",
        "/dashboard/static/%2E%2E%2F__init__.py",
        "/dashboard/static/./dashboard.html",
        "/dashboard/static/sub/dashboard.js",
    ],
)
def test_paths_outside_the_static_folder_are_404(live_server: str, target: str) -> None:
    status, body = raw_get(live_server, target)
    assert status == 404, (target, body[:200])
    assert b"import" not in body and b"<html" not in body.lower()  # no source file, no page
    assert raw_get(live_server, "/dashboard/static/dashboard.js")[0] == 200  # the probe itself works


def test_plotly_bundle_is_served_from_the_installed_package(client: TestClient) -> None:
    from plotly.offline import get_plotlyjs

    response = client.get("/dashboard/static/plotly.min.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "max-age=31536000" in response.headers["cache-control"]
    assert response.text == get_plotlyjs()
    assert "Plotly" in response.text[:2000]
    assert routes.plotly_asset() is routes.plotly_asset(), "built once per process"
    gzipped = client.get("/dashboard/static/plotly.min.js", headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers["content-encoding"] == "gzip"
    assert int(gzipped.headers["content-length"]) < len(response.content) / 2
