"""`./dev.sh` as a newcomer runs it: it migrates, serves, and prints the URLs and the first-start credentials."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.support import ROOT, free_port


def run_dev_sh(tmp_path: Path, port: int) -> tuple[subprocess.Popen[str], Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ADMIN_", "TWILIO_", "FB_", "VIRTUAL_ENV"))}
    env.update({"DB_PATH": str(tmp_path / "dev.sqlite"), "PORT": str(port), "HOST": "127.0.0.1", "BCRYPT_ROUNDS": "4"})
    out = tmp_path / f"dev-{port}.log"
    process = subprocess.Popen(
        ["./dev.sh"],
        cwd=ROOT,
        env=env,
        stdout=out.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    return process, out


def wait_healthy(port: int, process: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"./dev.sh did not serve /health:\n{log.read_text()}")


def stop(process: subprocess.Popen[str]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=20)


def test_dev_sh_serves_and_prints_urls_and_first_start_credentials(tmp_path: Path) -> None:
    port = free_port()
    process, log = run_dev_sh(tmp_path, port)
    try:
        wait_healthy(port, process, log)
        text = log.read_text()
        assert f"http://127.0.0.1:{port}/admin-app/" in text
        assert f"http://127.0.0.1:{port}/widget/demo" in text
        password = text.split("password:")[1].split()[0]
        login = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/login", json={"email": "admin@handoff.local", "password": password}
        )
        assert login.status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/docs").status_code == 200
    finally:
        stop(process)
    process, log = run_dev_sh(tmp_path, port)  # second start: same database, no new credentials
    try:
        wait_healthy(port, process, log)
        assert "password:" not in log.read_text()
    finally:
        stop(process)
