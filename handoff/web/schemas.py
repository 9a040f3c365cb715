"""The JSON objects the HTTP API answers with, shared by the routers so `/openapi.json` describes them once.

Optional keys are left out of an answer rather than sent as null (routes that return these use
`response_model_exclude_unset`), as the store's JSON shapes do.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, Field, field_validator

from handoff.routing import hours

Channel = Literal["webchat", "sms", "messenger"]
Role = Literal["admin", "staff"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
TIME_RANGE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class ErrorDetail(BaseModel):
    """Every error answer: the status code says what kind, `detail` says what happened."""

    detail: str


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for `{"detail"}` errors, spelled out as JSON: given as a `model`, FastAPI would document
    them in the route's own media type (TwiML for a Twilio webhook)."""
    content = {"application/json": {"schema": ErrorDetail.model_json_schema()}}
    return {code: {"content": content} for code in codes}


class Author(BaseModel):
    id: int
    name: str | None


class Attachment(BaseModel):
    url: str
    content_type: str | None = None
    type: str | None = Field(default=None, description="the platform's media kind (image, file, ...)")
    id: int | None = None
    name: str | None = None
    size: int | None = None


class Message(BaseModel):
    id: int
    conversation_id: int
    channel: Channel
    sender: Literal["visitor", "staff", "system"]
    text: str
    created_at: str = Field(description="ISO 8601 UTC")
    client_id: str | None
    author: Author | None = None
    status: Literal["queued", "sent", "delivered", "read", "failed"] | None = None
    error: str | None = Field(default=None, description="why delivery failed, as the platform said it")
    attachments: list[Attachment] | None = None
    private: bool | None = Field(
        default=None, description="present (true) only on a private note: staff see it, customers never"
    )


class Contact(BaseModel):
    id: int
    channel: Channel
    name: str | None
    email: str | None
    phone: str | None
    opted_out: bool
    external_id: str = Field(description="visitor id, phone number or Messenger user id")
    verified: bool = Field(default=False, description="the host site proved who this visitor is (user_hash)")


class Assignee(BaseModel):
    id: int
    name: str | None


class Conversation(BaseModel):
    id: int
    tenant_id: int
    channel: Channel
    status: Literal["open", "snoozed", "closed"]
    snoozed_until: str | None = Field(default=None, description="ISO 8601 UTC; set while snoozed")
    escalated: bool
    tags: list[str]
    contact: Contact
    assignee: Assignee | None
    last_message: Message | None
    unread_count: int
    visitor_read_message_id: int
    staff_read_message_id: int
    created_at: str
    last_message_at: str
    closed_at: str | None


class ConversationPage(BaseModel):
    conversations: list[Conversation]
    next_before: str | None = Field(description="pass as `before` for the next page; null on the last")


class MessagePage(BaseModel):
    messages: list[Message]


class SentMessage(BaseModel):
    message_id: int
    message: Message


class VisitorConversation(BaseModel):
    """What a visitor may know of their conversation: nothing internal such as tags or the assignee."""

    id: int
    status: Literal["open", "closed"]
    escalated: bool


class Followup(BaseModel):
    id: int
    name: str
    email: str | None
    phone: str | None
    message: str
    conversation_id: int | None = Field(description="the visitor's conversation, when they left it from the widget")
    created_at: str
    viewed_at: str | None
    viewed_by: int | None = Field(description="the user id of the first staff member who viewed it")
    reply_text: str | None = Field(default=None, description="the latest reply sent to the visitor")
    reply_via: Literal["email", "sms"] | None = None
    replied_at: str | None = None
    replied_by: int | None = Field(default=None, description="the user id who sent the latest reply")


class BusinessHours(BaseModel):
    """Opening hours: per weekday (`mon`..`sun`) several `["09:00", "17:30"]` ranges (end "24:00": midnight),
    wall-clock times in `timezone` (IANA; null: the tenant's `timezone` setting). `days` is accepted as an
    older spelling of `week`."""

    timezone: str | None = Field(default=None, max_length=64)
    week: dict[Weekday, list[tuple[str, str]]] = Field(validation_alias=AliasChoices("week", "days"))

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None and hours.zone(value) is None:
            raise ValueError("unknown IANA timezone")
        return value

    @field_validator("week")
    @classmethod
    def _times(cls, week: dict[str, list[tuple[str, str]]]) -> dict[str, list[tuple[str, str]]]:
        for ranges in week.values():
            if len(ranges) > 12:
                raise ValueError("at most 12 ranges a day")
            for start, end in ranges:
                if not (TIME_RANGE.match(start) and (TIME_RANGE.match(end) or end == "24:00")) or start >= end:
                    raise ValueError('each range is ["HH:MM", "HH:MM"] with start before end')
        return week


class WidgetLook(BaseModel):
    """The widget's settings, every one present (defaults filled in). Each is null only if an admin saved
    an explicit null for it."""

    greeting: str | None
    color: str | None = Field(description="#rrggbb")
    position: Literal["right", "left"] | None
    language: Literal["en", "fr", "es", "de"] | None
    prechat_form: bool | None
    business_hours: BusinessHours | None
    timezone: str | None = Field(description="IANA time zone the business hours are in")
    away_message: str | None = Field(default=None, description="sent to customers outside business hours")


class TenantSettings(WidgetLook):
    """The tenant's settings: the widget's, and those only staff see."""

    allowed_origins: list[str] | None = Field(
        description="sites (scheme://host[:port]) whose pages may use the widget; empty or null: any site"
    )
    csat: bool | None = Field(default=False, description="ask customers for a rating when staff close")
    auto_assign: bool | None = Field(default=None, description="new conversations go to an available agent")
    require_identity: bool | None = Field(
        default=False, description="a visitor's name or email counts only with a valid user_id/user_hash pair"
    )
    require_mfa: bool | None = Field(default=False, description="every teammate must sign in with two factors")


class BusinessName(BaseModel):
    business_name: str


# BusinessName listed last so its field comes first: pydantic orders fields from the last base, and the
# answer's keys keep the order they had before this model existed.
class WidgetSettings(WidgetLook, BusinessName):
    """The settings as the widget gets them: the business's name, then the tenant's settings."""
