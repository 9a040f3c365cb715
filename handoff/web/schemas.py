"""The JSON objects the HTTP API answers with, shared by the routers so `/openapi.json` describes them once.

Optional keys are left out of an answer rather than sent as null (routes that return these use
`response_model_exclude_unset`), as the store's JSON shapes do.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Channel = Literal["webchat", "sms", "messenger"]


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


class Contact(BaseModel):
    id: int
    channel: Channel
    name: str | None
    email: str | None
    phone: str | None
    opted_out: bool
    external_id: str = Field(description="visitor id, phone number or Messenger user id")


class Assignee(BaseModel):
    id: int
    name: str | None


class Conversation(BaseModel):
    id: int
    tenant_id: int
    channel: Channel
    status: Literal["open", "closed"]
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
