"""Meta's Messenger webhook: the subscription handshake and signed event batches, handled by
`channels.messenger`."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import PlainTextResponse

from handoff.channels.messenger import receive_batch, verified_challenge
from handoff.context import Ctx
from handoff.web.schemas import error_responses

router = APIRouter(prefix="/webhooks/messenger", tags=["messenger"])


@router.get("", response_class=PlainTextResponse, responses=error_responses(403))
async def verify_subscription(request: Request, ctx: Ctx) -> Response:
    """Meta's subscription handshake: echo `hub.challenge` when `hub.verify_token` is one of ours."""
    challenge = await verified_challenge(ctx, request.query_params)
    if challenge is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "verification failed")
    return PlainTextResponse(challenge)


@router.post("", response_class=PlainTextResponse, responses=error_responses(400, 403, 404))
async def receive_events(request: Request, ctx: Ctx) -> Response:
    """A signed batch of Page events: every entry and every messaging event in it is processed."""
    await receive_batch(ctx, request.headers.get("X-Hub-Signature-256", ""), await request.body())
    return PlainTextResponse("EVENT_RECEIVED")
