"""Availability in the hub (handoff/live/availability.py): an away agent is connected but not available, the
widget hears "offline" when the last available agent goes away, and the backplane carries an away agent's id
negated."""

from __future__ import annotations

from typing import Any

from handoff.live.availability import AwayList, available, present
from handoff.live.hub import Hub
from tests.unit.helpers import queued
from tests.unit.live.test_hub import staff_socket, visitor_socket

TENANT = 1


class Recorder:
    """A backplane that records what the hub publishes (shared, as with Redis), with another process's staff."""

    shared = True

    def __init__(self, elsewhere: frozenset[int] = frozenset()) -> None:
        self.published: list[list[int]] = []
        self.broadcasts: list[dict[str, Any]] = []
        self.elsewhere = elsewhere

    def attach(self, hub: Any) -> None:
        pass

    def forward(self, *args: Any, **kw: Any) -> None:
        pass

    def broadcast(self, kind: str, **fields: Any) -> None:
        self.broadcasts.append({"k": kind, **fields})

    def local_staff(self, tenant_id: int, user_ids: list[int]) -> None:
        self.published.append(user_ids)

    def staff_elsewhere(self, tenant_id: int) -> frozenset[int] | None:
        return self.elsewhere

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass


def test_signed_ids() -> None:
    away = AwayList()
    assert away.set(TENANT, 7, True) and not away.set(TENANT, 7, True)
    assert away.signed(TENANT, [3, 7]) == [3, -7]
    assert present([3, -7, 0]) == {3, 7} and available([3, -7, 0]) == {3}
    assert away.set(TENANT, 7, False) and away.signed(TENANT, [7]) == [7]


def test_going_away_tells_staff_widgets_and_other_processes() -> None:
    plane = Recorder(elsewhere=frozenset({-9}))  # agent 9 is connected to another process, away
    hub = Hub(backplane=plane)  # type: ignore[arg-type]
    widget = visitor_socket(TENANT, "v1")
    agent = staff_socket(TENANT, 7)
    hub.add(widget)
    hub.add(agent)
    assert hub.staff_online(TENANT) and hub.online_user_ids(TENANT) == {7, 9}
    assert hub.availability_of(TENANT) == {"7": "online", "9": "away"}
    queued(widget), queued(agent)

    hub.set_availability(TENANT, 7, away=True)
    assert plane.broadcasts[-1] == {"k": "a", "t": TENANT, "uid": 7, "away": True}
    assert plane.published[-1] == [-7]
    assert not hub.staff_online(TENANT) and hub.available_user_ids(TENANT) == set()
    assert queued(widget) == [{"type": "presence", "staff_online": False}]
    [presence] = queued(agent)
    assert presence["availability"] == {"7": "away", "9": "away"} and presence["online_user_ids"] == [7, 9]

    hub.availability_here(tenant_id=TENANT, user_id=7, away=False)  # as another process's "a" envelope
    assert hub.available_user_ids(TENANT) == {7}
    assert queued(widget) == [{"type": "presence", "staff_online": True}]
