"""The tenant routes' answers: the tenant with its settings and channels (secrets only as `*_set` flags)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from handoff.web.schemas import TenantSettings


class SmsWebhookUrls(BaseModel):
    sms: str = Field(description="Twilio's incoming-message webhook")
    status: str = Field(description="Twilio's status callback")


class SmsChannelView(BaseModel):
    configured: bool = Field(description="account SID, auth token and number are all stored")
    account_sid: str | None
    auth_token_set: bool
    number: str | None
    webhook_urls: SmsWebhookUrls


class MessengerChannelView(BaseModel):
    configured: bool = Field(description="Page id, Page access token and app secret are all stored")
    page_id: str | None
    page_access_token_set: bool
    app_secret_set: bool
    verify_token_set: bool
    webhook_url: str


class ChannelsView(BaseModel):
    sms: SmsChannelView
    messenger: MessengerChannelView


class TenantView(BaseModel):
    id: int
    name: str
    widget_key: str
    settings: TenantSettings
    channels: ChannelsView
    created_at: str


class CreatedTenant(BaseModel):
    id: int
    widget_key: str
