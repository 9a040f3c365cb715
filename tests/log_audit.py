"""No secret in any server log: every LiveServer's log is scanned at the end of the test session for the
secrets the run used (admin and user passwords, TOTP secrets, recovery codes, identity secrets and user hashes, database and Redis URL passwords, JWT_SECRET and the generated key files, staff and visitor
tokens seen in responses, Twilio auth tokens, Meta app secrets, page and verify tokens, METRICS_TOKEN), and for
anything shaped like a JWT. `tests/conftest.py` fails the run naming each file and line, never the secret.

What is remembered: the environment each server starts with (`LiveServer.start`), values under a key naming a
token, password or secret in the JSON bodies `Api` sends and in the answers `login`, `Api` and
`visitor_session` get back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

LOGS: set[Path] = set()
SECRETS: dict[str, str] = {}  # value -> what it is, for the report
MIN_LENGTH = 8  # shorter values ("x", "wrong") would match ordinary words; no real secret is this short

SECRET_SETTINGS = (
    "ADMIN_PASSWORD",
    "JWT_SECRET",
    "TWILIO_AUTH_TOKEN",
    "FB_PAGE_ACCESS_TOKEN",
    "FB_APP_SECRET",
    "FB_VERIFY_TOKEN",
    "METRICS_TOKEN",
)
# Also two-factor recovery codes, the otpauth URL (it holds the TOTP secret) and a visitor's user_hash.
SECRET_KEY = re.compile(r"token|password|secret|recovery_codes|otpauth_url|user_hash", re.I)
# Secrets are made of these characters (hex, urlsafe base64, "pw-..."); a log line is cut into runs of them
# and each run looked up, so the scan costs the logs' length, not their length times the number of secrets.
RUN = re.compile(rf"[A-Za-z0-9_-]{{{MIN_LENGTH},}}")
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+")


def remember(value: Any, what: str) -> None:
    if isinstance(value, str) and len(value) >= MIN_LENGTH and RUN.fullmatch(value):
        SECRETS.setdefault(value, what)
    elif isinstance(value, str) and len(value) >= MIN_LENGTH:
        # Not one run (a password with a space or a dot): look for its longest run instead.
        runs = RUN.findall(value)
        if runs:
            SECRETS.setdefault(max(runs, key=len), what)


def remember_server(log_path: Path, env: Mapping[str, str]) -> None:
    LOGS.add(log_path)
    for name in SECRET_SETTINGS:
        remember(env.get(name, ""), f"the {name} of a test server")
    for name in ("DATABASE_URL", "REDIS_URL", "SMTP_URL"):
        remember(urlsplit(env.get(name, "")).password or "", f"the password in a test server's {name}")


def remember_json(data: Any, where: str) -> None:
    """Values under keys naming a token, password or secret, anywhere in a JSON document."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            if isinstance(key, str) and SECRET_KEY.search(key) and isinstance(value, str):
                remember(value, f"a {key} {where}")
            elif isinstance(key, str) and SECRET_KEY.search(key) and isinstance(value, list):
                for item in value:
                    remember(item, f"one of the {key} {where}")
            else:
                remember_json(value, where)
    elif isinstance(data, list):
        for item in data:
            remember_json(item, where)


def remember_response(response: Any) -> None:
    """An httpx response's JSON body, if it has one."""
    if "json" in response.headers.get("content-type", ""):
        try:
            remember_json(response.json(), "a test server answered")
        except ValueError:
            return


def key_files(logs: Iterable[Path]) -> None:
    """The JWT keys servers generated beside their databases (`<DB_PATH>.jwt-secret`)."""
    for folder in {log.parent for log in logs}:
        for key in folder.glob("*.jwt-secret"):
            remember(key.read_text().strip(), "a generated JWT key file's secret")


def leaks() -> list[str]:
    """`file:line: what` for every line of this session's server logs holding a secret or a JWT."""
    key_files(LOGS)
    return scan(LOGS, SECRETS)


def scan(logs: Iterable[Path], secrets: Mapping[str, str]) -> list[str]:
    found = []
    for log in sorted(logs):
        if not log.exists():
            continue
        with log.open(errors="replace") as lines:
            for number, line in enumerate(lines, 1):
                what = next((secrets[run] for run in RUN.findall(line) if run in secrets), None)
                if what is None and JWT.search(line):
                    what = "something shaped like a JWT"
                if what is not None:
                    found.append(f"{log}:{number}: {what}")
    return found
