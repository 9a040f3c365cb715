"""Shutdown with fake WebSockets: `Hub.stop_all` closes every socket with 1012 only after the frame in hand
is answered and what is queued is sent; frames not yet read are left unread; a socket that opens meanwhile
is closed at once."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from handoff.live import events
from handoff.live.hub import Hub
from handoff.live.sockets import Socket
from tests.unit.helpers import run
from tests.unit.live.test_hub import TENANT, fake, staff_socket, visitor_socket

Frame = dict[str, Any]


def test_stop_all_answers_the_frame_in_hand_and_its_side_work_then_closes_with_1012() -> None:
    async def scenario() -> tuple[list[Frame], list[Frame], Any, Any, int, list[str]]:
        hub = Hub()
        release = asyncio.Event()
        handled: list[str] = []

        async def slow_handler(sock: Socket, frame: Frame) -> None:
            handled.append(frame["client_id"])
            if frame["client_id"] == "in-hand":
                await release.wait()  # a commit under way
            sock.send_event(events.ack(frame["client_id"], 1))

        async def staff_handler(sock: Socket, frame: Frame) -> None:
            handled.append(frame["client_id"])

            async def commit_then_ack() -> None:
                await release.wait()
                sock.send_event(events.ack(frame["client_id"], 2))

            sock.track(asyncio.create_task(commit_then_ack()))  # as the staff socket's sends do

        async def serve(sock: Socket, handler: Any) -> None:  # as the socket endpoints do
            hub.add(sock)
            try:
                await sock.run(handler)
            finally:
                hub.remove(sock)

        visitor, staff = visitor_socket(TENANT, "v1"), staff_socket(TENANT, 7)
        tasks = [asyncio.create_task(serve(visitor, slow_handler)), asyncio.create_task(serve(staff, staff_handler))]
        fake(visitor).client_sends(json.dumps({"type": "message", "client_id": "in-hand"}))
        fake(staff).client_sends(json.dumps({"type": "send", "client_id": "beside"}))
        while len(handled) < 2:
            await asyncio.sleep(0)
        fake(visitor).client_sends(json.dumps({"type": "message", "client_id": "not-read"}))
        stopping = asyncio.create_task(hub.stop_all())
        for _ in range(20):  # nothing can close them while their work waits for `release`
            await asyncio.sleep(0)
        open_while_in_hand = (fake(visitor).closed_with, fake(staff).closed_with)
        release.set()
        closed = await stopping
        await asyncio.gather(*tasks)
        late = visitor_socket(TENANT, "v2")
        await serve(late, slow_handler)  # opened during the shutdown: closed at once, nothing read
        assert open_while_in_hand == (None, None)
        return fake(visitor).sent, fake(staff).sent, fake(visitor).closed_with, fake(late).closed_with, closed, handled

    visitor_sent, staff_sent, visitor_closed, late_closed, closed, handled = run(scenario())
    assert closed == 2
    assert sorted(handled) == ["beside", "in-hand"]  # the frame sent after the stop began was never read
    assert [f.get("client_id") for f in visitor_sent if f["type"] == "ack"] == ["in-hand"]
    assert [f.get("client_id") for f in staff_sent if f["type"] == "ack"] == ["beside"]
    assert visitor_closed == (1012, "server restarting")
    assert late_closed == (1012, "server restarting")
