"""Where webhooks may go: URL checks at creation and the address check on every attempt (link-local always
refused, loopback and private networks only with WEBHOOK_BLOCK_PRIVATE), and the signing recipe."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from handoff.delivery import webhook_urls
from handoff.delivery.webhooks import signature
from tests.unit.helpers import run


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://hooks.example.com/handoff?x=1", None),
        ("http://127.0.0.1:8080/hook", None),
        ("http://[::1]:8080/hook", None),
        ("http://10.0.0.5/hook", None),
        ("ftp://example.com/", "http:// or https://"),
        ("https://", "http:// or https://"),
        ("http://a:b@example.com/", "user name"),
        ("http://example.com:99999/", "not a valid URL"),
        ("http://169.254.169.254/latest", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://[::ffff:169.254.169.254]/", "link-local"),
        ("http://0.0.0.0/", "link-local"),
        ("http://224.0.0.1/", "link-local"),
        ("https://example.com/" + "a" * 2000, "at most"),
    ],
)
def test_url_problems_with_the_default_policy(url: str, problem: str | None) -> None:
    found = webhook_urls.url_problem(url, block_private=False)
    assert found is None if problem is None else (found is not None and problem in found)


@pytest.mark.parametrize("url", ["http://127.0.0.1/", "http://[::1]/", "http://10.1.2.3/", "http://100.64.0.1/"])
def test_blocking_private_networks_refuses_loopback_and_private_addresses(url: str) -> None:
    assert webhook_urls.url_problem(url, block_private=False) is None
    assert "WEBHOOK_BLOCK_PRIVATE" in (webhook_urls.url_problem(url, block_private=True) or "")


def test_a_name_is_resolved_checked_and_connected_to_by_address() -> None:
    target = run(webhook_urls.resolve("http://localhost:8123/hook?a=1", block_private=False))
    assert target.url in ("http://127.0.0.1:8123/hook?a=1", "http://[::1]:8123/hook?a=1")
    assert target.host_header == "localhost:8123" and target.sni_hostname == "localhost"
    with pytest.raises(webhook_urls.Refused, match="WEBHOOK_BLOCK_PRIVATE"):
        run(webhook_urls.resolve("http://localhost:8123/hook", block_private=True))
    with pytest.raises(webhook_urls.Refused, match="cannot resolve"):
        run(webhook_urls.resolve("http://no-such-host.invalid/", block_private=False))


def test_the_signature_is_the_documented_recipe() -> None:
    body = b'{"event":"message.created"}'
    expected = hmac.new(b"whsec_test", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature("whsec_test", "1700000000", body) == f"sha256={expected}"
