"""Static files against the real server: the widget script and the admin SPA's assets are sent precompressed
(.br/.gz made at build time) when the request accepts it, with the original's type, `Vary: Accept-Encoding`
and each mount's caching."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.admin_browser.helpers import FRONTEND, ensure_spa_built
from tests.support import ROOT, LiveServer

WIDGET = ROOT / "widget" / "handoff.js"
DIST = FRONTEND / "dist"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Started after the SPA build, so the server mounts dist at /admin-app/."""
    ensure_spa_built()
    server = LiveServer(tmp_path_factory.mktemp("static")).start()
    yield server
    server.stop()


def fetch(server: LiveServer, path: str, encoding: str | None, **headers: str) -> tuple[httpx.Response, bytes]:
    """GET with exactly this Accept-Encoding (None: no such header); the body as sent, not decoded."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        request = client.build_request("GET", path, headers=headers)
        del request.headers["Accept-Encoding"]  # httpx's default
        if encoding is not None:
            request.headers["Accept-Encoding"] = encoding
        response = client.send(request, stream=True)
        try:
            return response, b"".join(response.iter_raw())
        finally:
            response.close()


def varies_on_encoding(response: httpx.Response) -> bool:
    return "accept-encoding" in [v.strip().lower() for v in response.headers.get("vary", "").split(",")]


def sibling(path: Path, suffix: str) -> bytes:
    return path.with_name(path.name + suffix).read_bytes()


def test_widget_brotli_when_accepted(live: LiveServer) -> None:
    response, body = fetch(live, "/widget/handoff.js", "gzip, deflate, br")
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "br"
    assert body == sibling(WIDGET, ".br")  # no brotli module here: the bytes are the built .br file's
    assert int(response.headers["content-length"]) == len(body) < WIDGET.stat().st_size
    assert response.headers["content-type"].startswith("text/javascript")
    assert varies_on_encoding(response)
    assert response.headers["cache-control"] == "public, max-age=300"


def test_widget_gzip_when_accepted(live: LiveServer) -> None:
    for accept in ("gzip", "br;q=0, gzip", "gzip;q=1, br;q=0.5", "x-gzip"):
        response, body = fetch(live, "/widget/handoff.js", accept)
        assert response.headers["content-encoding"] == "gzip", accept
        assert gzip.decompress(body) == WIDGET.read_bytes()
        assert response.headers["content-type"].startswith("text/javascript")
        assert varies_on_encoding(response)


def test_widget_plain_without_an_accepted_encoding(live: LiveServer) -> None:
    for accept in (None, "identity", "gzip;q=0, br;q=0", "*;q=0", "deflate"):
        response, body = fetch(live, "/widget/handoff.js", accept)
        assert response.status_code == 200
        assert "content-encoding" not in response.headers, accept
        assert body == WIDGET.read_bytes()
        assert response.headers["content-type"].startswith("text/javascript")
        assert varies_on_encoding(response)  # the plain answer varies too
        assert response.headers["cache-control"] == "public, max-age=300"


def test_compressed_answer_revalidates_with_its_own_etag(live: LiveServer) -> None:
    first, _ = fetch(live, "/widget/handoff.js", "br")
    plain, _ = fetch(live, "/widget/handoff.js", None)
    assert first.headers["etag"] != plain.headers["etag"]
    again, body = fetch(live, "/widget/handoff.js", "br", **{"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and body == b""
    assert varies_on_encoding(again)


def test_compressed_file_by_name_is_served_as_what_it_is(live: LiveServer) -> None:
    response, body = fetch(live, "/widget/handoff.js.gz", "gzip, br")
    assert response.status_code == 200
    assert body == sibling(WIDGET, ".gz")
    assert response.headers["content-type"] == "application/gzip"
    assert "content-encoding" not in response.headers


def test_widget_mount_serves_the_built_files_only(live: LiveServer) -> None:
    for path in ("/widget/src/main.js", "/widget/package.json", "/widget/build.mjs", "/widget/size_check.py"):
        response, _ = fetch(live, path, "gzip")
        assert response.status_code == 404, path


def test_spa_hashed_asset_gzipped_and_immutable(live: LiveServer) -> None:
    asset = next(p for p in sorted((DIST / "assets").glob("*.js")) if p.with_name(p.name + ".gz").exists())
    response, body = fetch(live, f"/admin-app/assets/{asset.name}", "gzip")
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == asset.read_bytes()
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert varies_on_encoding(response)
    response, body = fetch(live, f"/admin-app/assets/{asset.name}", "br, gzip")
    assert response.headers["content-encoding"] == "br"
    assert body == sibling(asset, ".br")


def test_spa_index_and_fallback_compressed_and_not_cached(live: LiveServer) -> None:
    index = DIST / "index.html"
    for path in ("/admin-app/", "/admin-app/conversations/42", "/admin-app/index.html"):
        response, body = fetch(live, path, "gzip")
        assert response.status_code == 200, path
        assert response.headers["content-encoding"] == "gzip"
        assert gzip.decompress(body) == index.read_bytes()
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-cache"
    # a missing file is never stood in for by a compressed one: the fallback is index.html
    response, body = fetch(live, "/admin-app/missing.js", "br")
    assert body == sibling(index, ".br")
    # index.html.br asked for by name: compressed bytes, not HTML, and not cached for good
    response, body = fetch(live, "/admin-app/index.html.br", "br")
    assert response.headers["content-type"] == "application/octet-stream"
    assert "content-encoding" not in response.headers
    assert response.headers["cache-control"] == "no-cache"
