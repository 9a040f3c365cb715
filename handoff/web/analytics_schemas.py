"""The analytics summary's JSON shape (the figures are defined in `handoff.store.analytics`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Totals(BaseModel):
    conversations: int
    messages: int
    closed: int
    missed: int
    escalated: int
    followups: int


class ByChannel(BaseModel):
    webchat: int
    sms: int
    messenger: int


class Day(ByChannel):
    date: str
    total: int


class Hour(BaseModel):
    hour: int = Field(ge=0, le=23, description="local hour of day")
    count: int


class Distribution(BaseModel):
    median: float | None
    p90: float | None
    count: int


class FollowupFigures(BaseModel):
    count: int
    viewed: int
    median_seconds_to_viewed: float | None


class AgentFigures(BaseModel):
    user_id: int
    name: str
    conversations: int
    messages: int
    median_first_response_seconds: float | None


class CsatFigure(BaseModel):
    responses: int
    average: float | None = Field(description="mean rating 1-5, 2 decimals; null without responses")


class CsatAgent(CsatFigure):
    user_id: int
    name: str


class CsatChannels(BaseModel):
    webchat: CsatFigure
    sms: CsatFigure
    messenger: CsatFigure


class CsatFigures(CsatFigure):
    """Ratings given in the range (by when they were given); by agent: the assignee at close."""

    by_agent: list[CsatAgent]
    by_channel: CsatChannels


class AnalyticsSummary(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from", description="first local day, YYYY-MM-DD")
    to: str
    timezone: str
    totals: Totals
    by_channel: ByChannel
    by_day: list[Day]
    by_hour: list[Hour]
    first_response_seconds: Distribution
    resolution_seconds: Distribution
    followups: FollowupFigures
    agents: list[AgentFigures]
    csat: CsatFigures
