"""Where webhooks may go (server-side request forgery): only http(s) URLs without credentials, and only to
addresses the policy allows, checked on the address actually connected to.

Always refused: link-local addresses (169.254.0.0/16 holds cloud metadata services; fe80::/10), multicast,
unspecified and reserved ones, also when IPv4 is wrapped in IPv6. With WEBHOOK_BLOCK_PRIVATE also every
address that is not globally routable: loopback, private networks (10/8, 172.16/12, 192.168/16, fc00::/7),
shared (100.64/10) and documentation ranges. It is off by default, so a receiver on the same host or network
works (and the tests' loopback receivers); turn it on where tenants are not trusted with the internal network.

A host name is resolved once per attempt, every address it has is checked, and the request goes to the
checked address (the name still goes in Host and TLS SNI), so DNS cannot answer differently in between.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL_LENGTH = 2000


class Refused(Exception):
    """The URL or the address it leads to is not allowed."""


def url_problem(url: str, *, block_private: bool) -> str | None:
    """Why a URL cannot be a webhook endpoint, or None. A host name is not resolved here (its addresses may
    change): every attempt checks them again."""
    if len(url) > MAX_URL_LENGTH:
        return f"url must be at most {MAX_URL_LENGTH} characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "url is not a valid URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "url must be an http:// or https:// URL with a host"
    if parts.username is not None or parts.password is not None:
        return "url must not carry a user name or password: the signature proves the sender"
    if port == 0:
        return "url has no valid port"
    literal = _literal(parts.hostname)
    if literal is not None and (problem := address_problem(literal, block_private=block_private)):
        return f"url {problem}"
    return None


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def address_problem(address: Address, *, block_private: bool) -> str | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:  # before is_reserved, which ::1 also is
        return "points at a loopback address (WEBHOOK_BLOCK_PRIVATE is on)" if block_private else None
    if address.is_link_local or address.is_multicast or address.is_unspecified or address.is_reserved:
        return f"points at {address}, a link-local, multicast or reserved address, which webhooks never reach"
    if block_private and not address.is_global:
        return f"points at {address}, a private address (WEBHOOK_BLOCK_PRIVATE is on)"
    return None


@dataclass(frozen=True)
class Target:
    """Where one attempt connects: the URL with the checked address in place of the name, plus the name."""

    url: str
    host_header: str
    sni_hostname: str


async def resolve(url: str, *, block_private: bool) -> Target:
    """Resolve and check the URL's host; raises Refused when any of its addresses is not allowed."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    literal = _literal(host)
    if literal is not None:
        addresses: list[Address] = [literal]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise Refused(f"cannot resolve {host}: {exc.strerror or exc}") from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        if not addresses:
            raise Refused(f"cannot resolve {host}")
    for address in addresses:
        if problem := address_problem(address, block_private=block_private):
            raise Refused(f"{host} {problem}")
    chosen = addresses[0]
    shown = f"[{chosen}]" if chosen.version == 6 else str(chosen)
    netloc = f"{shown}:{parts.port}" if parts.port else shown
    host_header = parts.netloc.rpartition("@")[2]
    return Target(parts._replace(netloc=netloc).geturl(), host_header, host)
