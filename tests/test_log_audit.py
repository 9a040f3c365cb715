"""The end-of-session log scan (tests/log_audit.py) finds what it must, says where, and never says what."""

from __future__ import annotations

from pathlib import Path

from tests.log_audit import scan


def test_scan_names_the_file_and_line_but_not_the_secret(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    secret = "pw-5f0c1e9a7b"
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLWJ5dGVz"
    log.write_text(
        '{"msg": "handoff ready"}\n'
        f'{{"msg": "login failed for password {secret}"}}\n'
        '{"msg": "token=[redacted] and [redacted-jwt]"}\n'
        f'{{"msg": "Bearer {jwt}"}}\n'
    )
    found = scan([log, tmp_path / "never-started.log"], {secret: "the ADMIN_PASSWORD of a test server"})
    assert found == [
        f"{log}:2: the ADMIN_PASSWORD of a test server",
        f"{log}:4: something shaped like a JWT",
    ]
    assert not any(secret in line or jwt in line for line in found)
