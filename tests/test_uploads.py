"""Uploads against the real server, on SQLite and PostgreSQL: the type comes from the bytes, refused files
leave nothing stored, and the signed link serves its file without a header, only untampered and only for
its own tenant, with headers that keep a browser from rendering anything but an image in place."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import BACKENDS
from tests.support import Api, LiveServer, make_tenant, query, visitor_session

pytestmark = BACKENDS

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def upload(server: LiveServer, token: str, name: str, data: bytes, claimed: str = "image/png") -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/v1/uploads",
        files={"file": (name, data, claimed)},
        headers={"Authorization": f"Bearer {token}"},
    )


def stored_uploads(server: LiveServer, tenant_admin: Api) -> int:
    me = tenant_admin.get("/api/v1/tenant").json()["id"]
    [(count,)] = query(server, "SELECT count(*) FROM uploads WHERE tenant_id = ?", me)
    return int(count)


@pytest.fixture(scope="module")
def shop(server: LiveServer) -> tuple[Api, str]:
    return make_tenant(server)


def test_staff_and_visitor_upload_and_the_link_serves_the_bytes(server: LiveServer, shop: tuple[Api, str]) -> None:
    admin, key = shop
    staff_file = upload(server, admin.token or "", "../../etc/photo.png", PNG, "text/html")
    assert staff_file.status_code == 201, staff_file.text
    body = staff_file.json()
    assert body["name"] == "photo.png" and body["content_type"] == "image/png" and body["size"] == len(PNG)
    served = httpx.get(server.url + body["url"])  # no Authorization header: as an <img> fetches it
    assert served.status_code == 200 and served.content == PNG
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-disposition"].startswith("inline")

    visitor = visitor_session(server, key)
    visitor_file = upload(server, visitor["visitor_token"], "notes.txt", "héllo\n".encode(), "image/png")
    assert visitor_file.status_code == 201, visitor_file.text
    assert visitor_file.json()["content_type"] == "text/plain"
    text = httpx.get(server.url + visitor_file.json()["url"])
    assert text.status_code == 200 and text.text == "héllo\n"
    assert text.headers["content-type"].startswith("text/plain")
    assert text.headers["content-disposition"].startswith("attachment")
    assert text.headers["x-content-type-options"] == "nosniff"


def test_pdf_is_served_as_a_download(server: LiveServer, shop: tuple[Api, str]) -> None:
    admin, _ = shop
    created = upload(server, admin.token or "", "invoice.png", PDF)
    assert created.status_code == 201 and created.json()["content_type"] == "application/pdf"
    served = httpx.get(server.url + created.json()["url"])
    assert served.content == PDF and served.headers["content-type"] == "application/pdf"
    assert served.headers["content-disposition"].startswith("attachment")
    assert served.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html><script>alert(1)</script>",
        b"  <html><body>hi</body></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"\xef\xbb\xbf<?xml version='1.0'?><svg/>",
        b"\x7fELF\x02\x01\x01\x00\x00\x00binary",
        b"text with a NUL\x00 inside",
        b"\xff\xfe not utf-8 \xc3",
    ],
)
def test_markup_and_unknown_bytes_are_415_and_nothing_is_stored(
    server: LiveServer, shop: tuple[Api, str], data: bytes
) -> None:
    admin, _ = shop
    before = stored_uploads(server, admin)
    refused = upload(server, admin.token or "", "innocent.png", data)
    assert refused.status_code == 415 and "detail" in refused.json()
    assert stored_uploads(server, admin) == before


def test_no_token_or_no_file_is_refused(server: LiveServer) -> None:
    anonymous = httpx.post(f"{server.url}/api/v1/uploads", files={"file": ("a.png", PNG, "image/png")})
    assert anonymous.status_code == 401
    forged = upload(server, "not-a-token", "a.png", PNG)
    assert forged.status_code == 401 and "detail" in forged.json()


def test_empty_file_and_missing_field_are_422(server: LiveServer, shop: tuple[Api, str]) -> None:
    admin, _ = shop
    assert upload(server, admin.token or "", "empty.txt", b"").status_code == 422
    missing = httpx.post(
        f"{server.url}/api/v1/uploads",
        files={"other": ("a.png", PNG, "image/png")},
        headers={"Authorization": f"Bearer {admin.token}"},
    )
    assert missing.status_code == 422 and "detail" in missing.json()


def test_tampered_expired_or_foreign_links_are_403(server: LiveServer, shop: tuple[Api, str]) -> None:
    admin, _ = shop
    other, _ = make_tenant(server)
    mine = upload(server, admin.token or "", "a.png", PNG).json()
    theirs = upload(server, other.token or "", "b.png", PNG).json()
    path, query_string = mine["url"].split("?")
    params = dict(part.split("=") for part in query_string.split("&"))
    assert httpx.get(server.url + mine["url"]).status_code == 200

    def status(url: str) -> int:
        return httpx.get(server.url + url).status_code

    flipped = params["sig"][:-1] + ("0" if params["sig"][-1] != "0" else "1")
    assert status(f"{path}?exp={params['exp']}&sig={flipped}") == 403
    later = int(params["exp"]) + 3600
    assert status(f"{path}?exp={later}&sig={params['sig']}") == 403
    assert status(f"{path}?exp=1000&sig={params['sig']}") == 403  # long expired
    # My signature on the other tenant's file: the signature covers the file's tenant and id.
    assert status(f"/files/{theirs['id']}/b.png?exp={params['exp']}&sig={params['sig']}") == 403
    assert status(f"/files/{10**12}/x.png?exp={params['exp']}&sig={params['sig']}") == 403
    assert status(f"{path}?exp={params['exp']}") == 422


def test_over_the_upload_limit_is_413_and_nothing_stored(
    make_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    small = make_server(tmp_path, UPLOAD_MAX_BYTES="4096").start()
    try:
        admin, _ = make_tenant(small)
        too_big = upload(small, admin.token or "", "big.txt", b"a" * 5000)
        assert too_big.status_code == 413 and "detail" in too_big.json()
        assert stored_uploads(small, admin) == 0
        assert upload(small, admin.token or "", "fits.txt", b"a" * 1000).status_code == 201
    finally:
        small.stop()
