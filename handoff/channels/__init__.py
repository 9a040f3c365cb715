"""Channel adapters: each turns its platform's wire format into one inbound shape and sends staff replies
back out. Web chat replies go out through the hub; SMS and Messenger replies go through the durable outbox
to the adapter on `AppContext.channels` under the conversation's channel name, built here by the app."""

from __future__ import annotations

from collections.abc import Mapping

from handoff.channels.messenger import Messenger
from handoff.channels.twilio_sms import TwilioSms
from handoff.conversations.outbound import OutboundChannel


def build_channels() -> Mapping[str, OutboundChannel]:
    """The outbound adapters, one per channel name; `create_app()` puts them on the context."""
    adapters: list[OutboundChannel] = [TwilioSms(), Messenger()]
    return {adapter.name: adapter for adapter in adapters}
