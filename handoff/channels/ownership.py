"""Proof that a number or Page is the saver's, asked of the platform with the credentials being saved.

Inbound webhooks are routed by the Twilio number and the Page id alone, so whoever connects one receives
its messages. Without this check any tenant could claim another's number or Page first.

- SMS: Twilio's IncomingPhoneNumbers list, filtered by the number, read with the account's own SID and
  Auth Token, must contain exactly that number.
- Messenger: Graph's `/me` read with the Page access token must be the Page itself (a user's token, or
  another Page's, answers with another id).

When the platform cannot be asked (network error, timeout, its own 5xx), nothing is proven: the save is
refused with the reason, and the admin tries again. Never a 5xx of ours: the request itself was fine.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from handoff.context import AppContext

# An admin is waiting on the Save button: give up well before a browser or proxy would.
VERIFY_SECONDS = 10.0
RETRY_LATER = "nothing was saved; try again in a moment"
PLATFORM = {"sms": "Twilio", "messenger": "Facebook"}


class NotProven(Exception):
    """Why the number or Page was not saved (answered with 422)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


async def prove(ctx: AppContext, channel: str, config: dict[str, Any]) -> None:
    """Raise NotProven unless the platform confirms the number or Page belongs to these credentials."""
    check = prove_number if channel == "sms" else prove_page
    http = ctx.http
    try:
        async with asyncio.timeout(VERIFY_SECONDS):
            await check(ctx, http, config)
    except TimeoutError:
        raise NotProven(f"could not verify with {PLATFORM[channel]}: no answer in time; {RETRY_LATER}") from None
    except httpx.HTTPError as exc:  # the class only: a Graph URL carries the token
        raise NotProven(
            f"could not verify with {PLATFORM[channel]}: network error ({exc.__class__.__name__}); {RETRY_LATER}"
        ) from None


async def prove_number(ctx: AppContext, http: httpx.AsyncClient, config: dict[str, Any]) -> None:
    sid, token, number = (config.get(k) for k in ("account_sid", "auth_token", "number"))
    if not (sid and token and number):
        raise NotProven("SMS needs the Account SID, Auth Token and number together, so Twilio can confirm them")
    response = await http.get(
        f"{ctx.settings.twilio_api_base}/2010-04-01/Accounts/{sid}/IncomingPhoneNumbers.json",
        params={"PhoneNumber": number, "PageSize": 50},
        auth=(sid, token),
        headers={"Accept": "application/json"},
    )
    if response.status_code in (401, 403):
        raise NotProven(f"Twilio refused the Account SID and Auth Token ({twilio_error(response)})")
    if response.status_code != 200:
        raise NotProven(f"could not verify the number with Twilio ({twilio_error(response)}); {RETRY_LATER}")
    try:
        numbers = {str(n.get("phone_number")) for n in response.json()["incoming_phone_numbers"]}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise NotProven(f"could not verify the number with Twilio (unexpected answer); {RETRY_LATER}") from None
    # The filter also matches partial numbers: only the exact number counts.
    if number not in numbers:
        raise NotProven(f"{number} is not a phone number of the Twilio account {sid}")


def twilio_error(response: httpx.Response) -> str:
    try:
        body = response.json()
        return f"{body['code']}: {body['message']}"
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}"


async def prove_page(ctx: AppContext, http: httpx.AsyncClient, config: dict[str, Any]) -> None:
    page_id, token = config.get("page_id"), config.get("page_access_token")
    if not (page_id and token):
        raise NotProven("Messenger needs the Page id and the Page access token together, so Facebook can confirm them")
    response = await http.get(f"{ctx.settings.graph_api_base}/me", params={"fields": "id", "access_token": token})
    if response.status_code != 200:
        error = graph_error(response)
        # Graph answers a bad token with 400 and OAuthException code 190 (or 102, an expired session).
        if error.get("code") in (190, 102) or response.status_code in (401, 403):
            raise NotProven(f"Facebook refused the Page access token ({graph_error_text(error, response)})")
        raise NotProven(f"could not verify the Page with Facebook ({graph_error_text(error, response)}); {RETRY_LATER}")
    try:
        owner = str(response.json()["id"])
    except (ValueError, KeyError, TypeError):
        raise NotProven(f"could not verify the Page with Facebook (unexpected answer); {RETRY_LATER}") from None
    if owner != str(page_id):
        raise NotProven(f"this access token is not a Page access token of Page {page_id}; generate one for that Page")


def graph_error(response: httpx.Response) -> dict[str, Any]:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return {}
    return error if isinstance(error, dict) else {}


def graph_error_text(error: dict[str, Any], response: httpx.Response) -> str:
    if error.get("code") is None:
        return f"HTTP {response.status_code}"
    return f"{error['code']}: {error.get('message') or 'error'}"
