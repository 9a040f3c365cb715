"""The routers are matched in `server.ROUTERS` order, the hot ones first (`POST /webchat`, `POST
/admin/api/send`, the two sockets). That is safe only while no route of a router moved forward also matches
a path a later router serves: these tests fail the day one does, before a request reaches the wrong handler."""

from __future__ import annotations

import re

from starlette.routing import compile_path

import server

HOT = ("widget_router", "inbox_router", "visitor_socket_router", "staff_socket_router")


def router_name(router: object) -> str:
    return next(name for name, value in vars(server).items() if value is router and name.endswith("_router"))


def routes_by_router() -> list[tuple[str, str, set[str] | None]]:
    return [
        (router_name(router), route.path, getattr(route, "methods", None))
        for router in server.ROUTERS
        for route in router.routes
    ]


def example(path: str) -> str:
    """A concrete path a route template serves: every parameter given the value 1."""
    return re.sub(r"\{[^}]+\}", "1", path)


def test_the_hot_routers_come_first() -> None:
    assert tuple(router_name(router) for router in server.ROUTERS[: len(HOT)]) == HOT


def overlaps(path: str, methods: set[str] | None, other_path: str, other_methods: set[str] | None) -> bool:
    """Whether a request for one of `other_path`'s paths would also match `path`."""
    same_methods = methods is None or other_methods is None or bool(methods & other_methods)
    return same_methods and compile_path(path)[0].fullmatch(example(other_path)) is not None


def test_no_route_moved_forward_shares_a_path_with_another_router() -> None:
    """Either way round: a hot route taking another router's path, or another router's route that matched a
    hot path first before the hot routers moved forward."""
    routes = routes_by_router()
    shared = [
        (name, path, other, other_path)
        for name, path, methods in routes
        if name in HOT
        for other, other_path, other_methods in routes
        if other not in HOT
        and (overlaps(path, methods, other_path, other_methods) or overlaps(other_path, other_methods, path, methods))
    ]
    assert shared == []


def test_the_check_above_would_see_a_shadowed_path() -> None:
    """The same comparison on a made-up pair: a template with a parameter takes a later literal path."""
    assert overlaps("/api/v1/widget/{anything}", {"POST"}, "/api/v1/widget/session", {"POST"})
    assert not overlaps("/api/v1/widget/{anything}", {"GET"}, "/api/v1/widget/session", {"POST"})
    assert not overlaps("/webchat", {"POST"}, "/admin/api/send", {"POST"})
