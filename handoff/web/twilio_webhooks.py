"""Twilio's webhooks: inbound SMS/MMS and delivery status callbacks. The signature is checked and the form
handled by `channels.twilio_sms`; Twilio gets empty TwiML (replies leave through the REST API)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from handoff.channels.twilio_sms import receive_sms, record_delivery_status, verified_form
from handoff.context import Ctx
from handoff.web.schemas import error_responses

router = APIRouter(prefix="/webhooks/twilio", tags=["sms"])
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


class TwimlResponse(Response):
    """What Twilio's webhooks get: TwiML (always the empty document; replies leave through the REST API)."""

    media_type = "text/xml"


# Failures are JSON `{"detail"}`; Twilio only looks at the status code.
WEBHOOK_ERRORS = error_responses(400, 403, 404)


@router.post("/sms", response_class=TwimlResponse, responses=WEBHOOK_ERRORS)
async def inbound_sms(request: Request, ctx: Ctx) -> Response:
    """Inbound SMS/MMS: signature checked, stored once per MessageSid, answered with empty TwiML."""
    tenant_id, form = await verified_form(ctx, request, inbound=True)
    await receive_sms(ctx, tenant_id, form)
    return TwimlResponse(EMPTY_TWIML)


@router.post("/status", response_class=TwimlResponse, responses=WEBHOOK_ERRORS)
async def status_callback(request: Request, ctx: Ctx) -> Response:
    """Delivery status of an outbound SMS: applied forward only and shown to staff live."""
    tenant_id, form = await verified_form(ctx, request, inbound=False)
    await record_delivery_status(ctx, tenant_id, form)
    # 200 even for a MessageSid we do not know (yet): the report is kept until the send records it.
    return TwimlResponse(EMPTY_TWIML)
