"""SMTP_URL parsing: schemes, default ports, TLS modes, escaped credentials; the password never in a repr."""

from __future__ import annotations

import pytest

from handoff.notify.smtp import BadSmtpUrl, SmtpServer, parse_smtp_url


def test_plain_smtp_with_credentials() -> None:
    server = parse_smtp_url("smtp://user%40shop.com:p%2Fss@mail.example.com:2525")
    assert server == SmtpServer("mail.example.com", 2525, "user@shop.com", "p/ss", implicit_tls=False, starttls=False)
    assert "p/ss" not in repr(server)


@pytest.mark.parametrize(
    ("url", "port", "implicit", "starttls"),
    [
        ("smtps://u:p@smtp.example.com", 465, True, False),
        ("smtp://u:p@smtp.example.com?starttls=1", 587, False, True),
        ("smtp://smtp.example.com", 25, False, False),
        ("smtps://u:p@smtp.example.com:2465?starttls=1", 2465, True, False),  # implicit TLS needs no upgrade
    ],
)
def test_tls_modes_and_default_ports(url: str, port: int, implicit: bool, starttls: bool) -> None:
    server = parse_smtp_url(url)
    assert (server.port, server.implicit_tls, server.starttls) == (port, implicit, starttls)


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "smtp://u:secretpw@host:notaport"])
def test_bad_urls_say_why_without_the_password(url: str) -> None:
    with pytest.raises(BadSmtpUrl) as raised:
        parse_smtp_url(url)
    assert "secretpw" not in str(raised.value)
