"""`python migrate_schema.py --backup PATH` against the real server while a visitor keeps writing: every
message acknowledged before the backup started is in the copy, the copy passes its integrity check, and a
server started on the copy (with the key file beside it) serves the same business."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path

from tests.support import ROOT, LiveServer, Sock, login, make_tenant, query, visitor_session, visitor_socket


def migrate_schema(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "migrate_schema.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env
    )


class Chatter:
    """A visitor sending messages one after another on its socket, each after the last one's ack."""

    def __init__(self, sock: Sock) -> None:
        self.sock, self.acked, self.errors, self.stop = sock, list[int](), list[dict[str, object]](), threading.Event()
        self.thread = threading.Thread(target=self.run)

    def run(self) -> None:
        number = 0
        while not self.stop.is_set():
            number += 1
            self.sock.send({"type": "message", "text": f"message {number}", "client_id": f"m-{number}"})
            answer = self.sock.recv_until(lambda f: f["type"] in ("ack", "error"))
            if answer["type"] == "error":
                self.errors.append(answer)
                return
            self.acked.append(answer["message_id"])


def test_a_backup_taken_while_a_visitor_writes_holds_every_acknowledged_message(tmp_path: Path) -> None:
    (tmp_path / "live").mkdir()
    live = LiveServer(tmp_path / "live", VISITOR_MESSAGES_PER_MINUTE="100000").start()
    try:
        admin, key = make_tenant(live)
        chatter = Chatter(visitor_socket(live, visitor_session(live, key)))
        chatter.thread.start()
        while len(chatter.acked) < 50:
            chatter.thread.join(0.01)
        acked_before = list(chatter.acked)
        copy = tmp_path / "backups" / "handoff-copy.sqlite"
        copy.parent.mkdir()
        made = migrate_schema("--backup", str(copy), "--db", live.db_path)
        chatter.stop.set()
        chatter.thread.join(10)
        assert made.returncode == 0, made.stderr
        assert not chatter.errors
        assert "100%" in made.stderr and "integrity check ok" in made.stdout
        assert len(chatter.acked) > len(acked_before)  # the server kept writing around the backup

        restored_dir = tmp_path / "restored"
        restored_dir.mkdir()
        shutil.copy(copy, restored_dir / "handoff.sqlite")
        shutil.copy(f"{live.db_path}.jwt-secret", restored_dir / "handoff.sqlite.jwt-secret")
        restored = LiveServer(restored_dir)
        restored.admin_password = live.admin_password
        ids = {row[0] for row in query(restored, "SELECT id FROM messages WHERE sender = 'visitor'")}
        assert set(acked_before) <= ids  # nothing acknowledged before the backup is missing
        assert ids <= set(chatter.acked)  # and nothing that was never acknowledged is in it
        restored.start()
        try:
            token = login(restored)["access_token"]  # the platform admin's password hash came along
            assert token
            again = make_tenant(restored)[0]  # and the restored server writes
            assert again.get("/api/v1/tenant").status_code == 200
        finally:
            restored.stop()
        assert admin.get("/api/v1/tenant").status_code == 200  # the live server never stopped serving
    finally:
        live.stop()


def test_backup_refusals(tmp_path: Path) -> None:
    existing = tmp_path / "old.sqlite"
    existing.write_text("keep me")
    source = tmp_path / "handoff.sqlite"
    assert migrate_schema("--db", str(source)).returncode == 0
    refused = migrate_schema("--backup", str(existing), "--db", str(source))
    assert refused.returncode == 1 and "already exists" in refused.stderr and existing.read_text() == "keep me"
    postgres = migrate_schema("--backup", str(tmp_path / "new.sqlite"), "--database-url", "postgresql://x@127.0.0.1/y")
    assert postgres.returncode == 2 and "pg_dump" in postgres.stderr
