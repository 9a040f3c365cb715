"""Agents' availability in the hub: an agent is available while they hold a staff socket and are not away.

Shared across processes like presence: each process publishes its staff sockets' user ids through the
backplane (handoff/live/backplane.py) with an away user's id negated, so every process knows who is
connected (`abs`) and who is available (> 0) with the same TTL and heartbeat. A change of availability
(`PATCH /api/v1/auth/me`, stored in `users.availability`) is told to every process (envelope kind "a"), and
the ones holding that agent's sockets publish their list again."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handoff.live.backplane import Backplane


class AwayList:
    """Which users of each tenant are away, as far as this process knows: its own sockets' users (read when
    they connect) and every change since this process started."""

    def __init__(self) -> None:
        self._away: dict[int, set[int]] = {}

    def set(self, tenant_id: int, user_id: int, away: bool) -> bool:
        """Record a user's availability; whether it changed."""
        users = self._away.setdefault(tenant_id, set())
        if (user_id in users) == away:
            return False
        if away:
            users.add(user_id)
        else:
            users.discard(user_id)
            if not users:
                del self._away[tenant_id]
        return True

    def is_away(self, tenant_id: int, user_id: int) -> bool:
        return user_id in self._away.get(tenant_id, ())

    def signed(self, tenant_id: int, user_ids: Iterable[int]) -> list[int]:
        """The ids as the backplane carries them: an away user's negated."""
        away = self._away.get(tenant_id, set())
        return [-u if u in away else u for u in user_ids]


def present(signed: Iterable[int]) -> set[int]:
    return {abs(u) for u in signed if u}


def available(signed: Iterable[int]) -> set[int]:
    return {u for u in signed if u > 0}


class Availability:
    """The hub's availability half (a mixin of `Hub`, which provides the attributes declared here)."""

    away: AwayList
    backplane: Backplane
    _shared: bool
    _staff: dict[int, set[Any]]

    def _staff_changed(self, tenant_id: int, *, was_online: bool) -> None: ...

    def _signed_here(self, tenant_id: int) -> list[int]:
        return self.away.signed(tenant_id, sorted({s.user_id or 0 for s in self._staff.get(tenant_id, ())}))

    def _signed_elsewhere(self, tenant_id: int) -> frozenset[int]:
        return (self.backplane.staff_elsewhere(tenant_id) if self._shared else None) or frozenset()

    def available_user_ids(self, tenant_id: int) -> set[int]:
        """Agents connected to any process and not away."""
        return available(self._signed_here(tenant_id)) | available(self._signed_elsewhere(tenant_id))

    def availability_of(self, tenant_id: int) -> dict[str, str]:
        """Each connected agent's availability, keyed by user id (a JSON object's keys are strings)."""
        both = [*self._signed_here(tenant_id), *self._signed_elsewhere(tenant_id)]
        ready = available(both)
        return {str(u): "online" if u in ready else "away" for u in sorted(present(both))}

    def set_availability(self, tenant_id: int, user_id: int, away: bool) -> None:
        """An agent chose online or away (already stored): here and on every other process."""
        self.availability_here(tenant_id=tenant_id, user_id=user_id, away=away)
        if self._shared:
            self.backplane.broadcast("a", t=tenant_id, uid=user_id, away=away)

    def availability_here(self, *, tenant_id: int, user_id: int, away: bool) -> None:
        was_online = bool(self.available_user_ids(tenant_id))
        if self.away.set(tenant_id, user_id, away) and any(
            s.user_id == user_id for s in self._staff.get(tenant_id, ())
        ):
            self._staff_changed(tenant_id, was_online=was_online)
