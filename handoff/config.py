"""Settings read once from the environment (and `.env` when present); tests build their own."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from dotenv import dotenv_values


def default_db_path() -> str:
    """`/data/handoff.sqlite` on a writable persistent disk (Render), else the working directory."""
    data = Path("/data")
    if data.is_dir() and os.access(data, os.W_OK):
        return str(data / "handoff.sqlite")
    return "handoff.sqlite"


def read_env() -> dict[str, str]:
    """The process environment, with `.env` values filling in what is unset."""
    file_values = {k: v for k, v in dotenv_values(".env").items() if v is not None}
    return {**file_values, **os.environ}


def db_path_from_env(env: Mapping[str, str] | None = None) -> str:
    env = read_env() if env is None else env
    return env.get("DB_PATH", "").strip() or default_db_path()


def database_url_from_env(env: Mapping[str, str] | None = None) -> str:
    """DATABASE_URL: a postgresql:// URL puts everything in PostgreSQL; empty keeps the SQLite file."""
    env = read_env() if env is None else env
    return env.get("DATABASE_URL", "").strip()


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    return float(raw) if raw else default


def _count(env: Mapping[str, str], name: str) -> int:
    """A whole number >= 0; anything else stops startup with a message naming the setting."""
    raw = env.get(name, "").strip() or "0"
    if not raw.isdigit():
        raise ValueError(f"{name} must be a whole number of 0 or more, got {raw!r}")
    return int(raw)


def _str(env: Mapping[str, str], name: str, default: str = "") -> str:
    return env.get(name, "").strip() or default


def _vapid_subject(value: str) -> str:
    if value and not re.fullmatch(r"mailto:[^@\s]+@[\w.-]+\.[\w-]+|https://[\w.-]+\.[\w.-]+", value):
        raise ValueError(f"VAPID_SUBJECT must be mailto:you@example.com or https://example.com, got {value!r}")
    return value


@dataclass(frozen=True)
class Settings:
    db_path: str
    # PostgreSQL instead of the SQLite file when set; repr=False: the URL may carry the password.
    database_url: str = field(default="", repr=False)
    # Events, presence, rate limits and revocations shared by every process through Redis when set; empty
    # keeps them in this process. repr=False: the URL may carry the password.
    redis_url: str = field(default="", repr=False)
    # PostgreSQL connections per process for writes (reads get half as many, reports 2): opened as needed,
    # up to this many; a deployment's processes together must stay under the server's max_connections.
    database_pool_size: int = 8
    # Every Redis key and channel starts with this, so deployments (and test runs) sharing a server never meet.
    redis_prefix: str = "handoff:"
    # How long a process that stopped without a word (killed, cut off) still counts its staff as online in
    # the other processes; each process renews its own every third of this.
    presence_ttl_seconds: float = 15.0
    jwt_secret: str = field(default="", repr=False)  # empty: the key file beside the database, at startup
    host: str = "127.0.0.1"
    port: int = 8000
    admin_email: str = ""
    admin_password: str = ""
    public_base_url: str = ""
    # Render's own https://<service>.onrender.com address (it sets RENDER_EXTERNAL_URL on every web service):
    # an address this deployment is known to have even without PUBLIC_BASE_URL.
    platform_url: str = ""
    frontend_origins: tuple[str, ...] = ()
    auto_close_minutes: float = 30.0
    escalate_after_seconds: float = 300.0
    visitor_messages_per_minute: float = 60.0
    ip_requests_per_minute: float = 600.0
    proxy_hops: int = 0
    max_text_length: int = 4000
    access_token_minutes: float = 30.0
    refresh_token_days: float = 7.0
    visitor_token_days: float = 365.0
    timer_interval_seconds: float = 1.0
    bcrypt_rounds: int = 12
    # Multipart uploads may be this large; every other request body is refused over 1 MiB.
    upload_max_bytes: int = 10 * 1024 * 1024
    # Open sockets one client address may hold (visitor and staff together). Advanced: raise it when many
    # clients share one address (a proxy that does not pass on the client's own, an office behind NAT).
    sockets_per_address: int = 100
    twilio_account_sid: str = ""
    twilio_auth_token: str = field(default="", repr=False)
    twilio_number: str = ""
    twilio_api_base: str = "https://api.twilio.com"
    fb_page_access_token: str = field(default="", repr=False)
    fb_verify_token: str = field(default="", repr=False)
    fb_app_secret: str = field(default="", repr=False)
    fb_page_id: str = ""
    graph_api_base: str = "https://graph.facebook.com/v21.0"
    frontend_dist: str = "admin-frontend/dist"
    outbox_base_delay_seconds: float = 2.0
    outbox_max_delay_seconds: float = 600.0
    outbox_max_attempts: int = 12  # 20 to 40 minutes of retrying with the defaults (jitter decides)
    # How long an attempt holds its outbox row against every other process; a send is cut off at 80% of it.
    # Longer than the HTTP client's 20 s read timeout, so a slow platform answer still counts.
    outbox_lease_seconds: float = 60.0
    # /metrics: with a token, callers must send it as a bearer token; without one, loopback clients only.
    metrics_token: str = field(default="", repr=False)
    # Outgoing webhooks: an attempt is cut off after this long, and at most this many run at once per process.
    webhook_timeout_seconds: float = 10.0
    webhook_concurrency: int = 8
    # Refuse webhook URLs on loopback and private networks too (link-local ones always are): SSRF hardening.
    webhook_block_private: bool = False
    # Email through this SMTP server (`smtp://user:pass@host:port`, `smtps://` for implicit TLS, `?starttls=1`);
    # empty: no email. repr=False: the URL carries the password.
    smtp_url: str = field(default="", repr=False)
    email_from: str = ""
    # Web Push: the contact push services see in every VAPID token (a mailto: or https: URL); empty: see
    # `push_subject`. And whether http:// push endpoints are accepted (tests, a local push service only).
    vapid_subject: str = ""
    push_allow_http: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the process environment, with `.env` values filling in what is unset."""
        env = read_env() if env is None else env
        db_path = db_path_from_env(env)
        origins = tuple(o.strip().rstrip("/") for o in env.get("FRONTEND_ORIGIN", "").split(",") if o.strip())
        return cls(
            db_path=db_path,
            database_url=database_url_from_env(env),
            redis_url=_str(env, "REDIS_URL"),
            database_pool_size=max(1, _count(env, "DATABASE_POOL_SIZE") or 8),
            redis_prefix=_str(env, "REDIS_PREFIX", "handoff:"),
            presence_ttl_seconds=max(1.0, _float(env, "PRESENCE_TTL_SECONDS", 15.0)),
            jwt_secret=_str(env, "JWT_SECRET"),
            host=_str(env, "HOST", "127.0.0.1"),
            port=int(_str(env, "PORT", "8000")),
            admin_email=_str(env, "ADMIN_EMAIL"),
            admin_password=env.get("ADMIN_PASSWORD", ""),
            public_base_url=_str(env, "PUBLIC_BASE_URL").rstrip("/"),
            platform_url=_str(env, "RENDER_EXTERNAL_URL").rstrip("/"),
            frontend_origins=tuple(o for o in origins if o != "*"),
            auto_close_minutes=_float(env, "AUTO_CLOSE_MINUTES", 30.0),
            escalate_after_seconds=_float(env, "ESCALATE_AFTER_SECONDS", 300.0),
            visitor_messages_per_minute=_float(env, "VISITOR_MESSAGES_PER_MINUTE", 60.0),
            ip_requests_per_minute=_float(env, "IP_REQUESTS_PER_MINUTE", 600.0),
            proxy_hops=_count(env, "PROXY_HOPS"),
            max_text_length=int(_float(env, "MAX_TEXT_LENGTH", 4000)),
            timer_interval_seconds=_float(env, "TIMER_INTERVAL_SECONDS", 1.0),
            bcrypt_rounds=max(4, int(_float(env, "BCRYPT_ROUNDS", 12))),
            upload_max_bytes=int(_float(env, "UPLOAD_MAX_BYTES", 10 * 1024 * 1024)),
            sockets_per_address=max(1, int(_float(env, "SOCKETS_PER_ADDRESS", 100))),
            twilio_account_sid=_str(env, "TWILIO_ACCOUNT_SID"),
            twilio_auth_token=_str(env, "TWILIO_AUTH_TOKEN"),
            twilio_number=_str(env, "TWILIO_NUMBER"),
            twilio_api_base=_str(env, "TWILIO_API_BASE", "https://api.twilio.com").rstrip("/"),
            fb_page_access_token=_str(env, "FB_PAGE_ACCESS_TOKEN"),
            fb_verify_token=_str(env, "FB_VERIFY_TOKEN"),
            fb_app_secret=_str(env, "FB_APP_SECRET"),
            fb_page_id=_str(env, "FB_PAGE_ID"),
            graph_api_base=_str(env, "GRAPH_API_BASE", "https://graph.facebook.com/v21.0").rstrip("/"),
            frontend_dist=_str(env, "FRONTEND_DIST", "admin-frontend/dist"),
            outbox_base_delay_seconds=max(0.001, _float(env, "OUTBOX_BASE_DELAY_SECONDS", 2.0)),
            outbox_max_delay_seconds=max(0.001, _float(env, "OUTBOX_MAX_DELAY_SECONDS", 600.0)),
            outbox_max_attempts=max(1, int(_float(env, "OUTBOX_MAX_ATTEMPTS", 12))),
            outbox_lease_seconds=max(0.1, _float(env, "OUTBOX_LEASE_SECONDS", 60.0)),
            metrics_token=_str(env, "METRICS_TOKEN"),
            webhook_timeout_seconds=max(0.1, _float(env, "WEBHOOK_TIMEOUT_SECONDS", 10.0)),
            webhook_concurrency=max(1, _count(env, "WEBHOOK_CONCURRENCY") or 8),
            webhook_block_private=_str(env, "WEBHOOK_BLOCK_PRIVATE").lower() in ("1", "true", "yes", "on"),
            smtp_url=_str(env, "SMTP_URL"),
            email_from=_str(env, "EMAIL_FROM"),
            vapid_subject=_vapid_subject(_str(env, "VAPID_SUBJECT")),
            push_allow_http=_str(env, "PUSH_ALLOW_HTTP").lower() in ("1", "true", "yes"),
        )

    @property
    def push_subject(self) -> str:
        """VAPID_SUBJECT, else PUBLIC_BASE_URL when it is a plain https:// address, else a placeholder
        mailto: (some push services refuse it: set VAPID_SUBJECT in production)."""
        if self.vapid_subject:
            return self.vapid_subject
        if re.fullmatch(r"https://[\w.-]+\.[\w.-]+", self.public_base_url):
            return self.public_base_url
        return "mailto:admin@handoff.local"

    def with_signing_key(self) -> Settings:
        """These settings with `jwt_secret` filled in: from JWT_SECRET, else the key file beside the
        database (created on first start). Called by the app's startup, never by the constructor.
        On PostgreSQL (DATABASE_URL) there is no database file to keep a key beside: JWT_SECRET is required."""
        if self.database_url and not self.jwt_secret:
            raise MissingSecret(
                "DATABASE_URL is set but JWT_SECRET is not: set JWT_SECRET to the same long random value on"
                " every process (with PostgreSQL there is no database file to keep a generated key beside)"
            )
        return self if self.jwt_secret else replace(self, jwt_secret=load_or_create_secret(self.db_path))


class MissingSecret(RuntimeError):
    """A setting the server cannot start without."""


def existing_jwt_secret(db_path: str, env: Mapping[str, str] | None = None) -> str:
    """JWT_SECRET, or the key file beside the database; "" when neither exists yet (tools that must not
    create one, like the migration command line)."""
    env = read_env() if env is None else env
    path = Path(f"{db_path}.jwt-secret")
    return _str(env, "JWT_SECRET") or (path.read_text().strip() if path.exists() else "")


def load_or_create_secret(db_path: str) -> str:
    """The JWT key kept beside the database, so tokens survive restarts without configuration."""
    path = Path(f"{db_path}.jwt-secret")
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    # Create with 0600 so other users on the box cannot read the signing key.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret
