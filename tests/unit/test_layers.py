"""The layering rules of issue 11, checked on the source: only `handoff/store/` speaks SQL, nothing below
the web layer imports a router, and the domain (conversations, delivery, store, live) imports neither the
channel adapters nor the web layer.

Read with `ast`, not grep: SQL is looked for in string constants (f-string parts and implicitly joined
literals included, docstrings and comments not), and imports are resolved to module names."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP_LEVEL = ("server.py", "auth.py", "analytics.py", "migrate_schema.py")

# Modules exempt from the SQL and router rules while a change converts them (glob patterns); empty now
# that every route lives in handoff/web/. test_pending_exemptions_are_still_needed fails for an entry
# that no longer needs one.
PENDING: set[str] = set()

SQL = re.compile(r"\bSELECT\s|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b")
# Routers: the web layer and the top-level modules that declare routes or build the app.
ROUTERS = ("handoff.web", "server", "auth", "analytics")


def modules() -> Iterator[str]:
    """Every Python module of the application, as a path relative to the repository root."""
    for path in sorted((ROOT / "handoff").rglob("*.py")):
        yield path.relative_to(ROOT).as_posix()
    yield from TOP_LEVEL


def parse(module: str) -> ast.Module:
    return ast.parse((ROOT / module).read_text(), filename=module)


def is_pending(module: str) -> bool:
    return any(fnmatch(module, pattern) for pattern in PENDING)


def docstrings(tree: ast.Module) -> set[int]:
    """ids of the docstring constants of the module, its classes and functions."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def sql_in(module: str) -> list[str]:
    """`line: text` of each string constant in the module that holds an SQL statement."""
    tree = parse(module)
    skip = docstrings(tree)
    return [
        f"{node.lineno}: {node.value[:70]!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and SQL.search(node.value)
    ]


def imported(module: str) -> Iterator[tuple[int, str]]:
    """(line, module name) of every import in the module, relative ones resolved; `from a import b`
    yields both `a` and `a.b`, since b may be a module."""
    package = module.removesuffix(".py").replace("/", ".").rsplit(".", 1)[0]
    for node in ast.walk(parse(module)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def is_router(name: str) -> bool:
    return any(name == router or name.startswith(router + ".") for router in ROUTERS)


def router_imports(module: str) -> list[str]:
    return sorted({f"{line}: {name}" for line, name in imported(module) if is_router(name)})


def below_web(module: str) -> bool:
    return module.startswith("handoff/") and not module.startswith("handoff/web/")


def test_no_sql_outside_the_store() -> None:
    offenders = {
        module: found
        for module in modules()
        if not module.startswith("handoff/store/") and not is_pending(module) and (found := sql_in(module))
    }
    assert offenders == {}, "SQL belongs in handoff/store/; move these statements into store functions"


def test_nothing_below_the_web_layer_imports_a_router() -> None:
    offenders = {
        module: found
        for module in modules()
        if below_web(module) and not is_pending(module) and (found := router_imports(module))
    }
    assert offenders == {}, "only handoff/web/ and the top-level app modules may import routers"


# The domain and what it stands on get the channel adapters through `AppContext.channels`, never by import.
DOMAIN = ("handoff/conversations/", "handoff/delivery/", "handoff/store/", "handoff/live/")
ADAPTERS = ("handoff.channels", "handoff.web")


def is_adapter(name: str) -> bool:
    return any(name == adapter or name.startswith(adapter + ".") for adapter in ADAPTERS)


def adapter_imports(module: str) -> list[str]:
    return sorted({f"{line}: {name}" for line, name in imported(module) if is_adapter(name)})


def test_the_domain_does_not_import_the_adapters() -> None:
    offenders = {
        module: found for module in modules() if module.startswith(DOMAIN) and (found := adapter_imports(module))
    }
    assert offenders == {}, "the domain gets the channel adapters from ctx.channels, not by importing them"


def test_the_checks_see_what_they_look_for() -> None:
    # Guards against a rule that passes because it matches nothing.
    assert sql_in("handoff/store/outbox.py")
    assert not sql_in("handoff/conversations/service.py")
    assert is_router("handoff.web.tenants") and is_router("auth") and not is_router("authlib")
    assert not is_router("handoff.webhooks")
    assert is_adapter("handoff.channels.twilio_sms") and is_adapter("handoff.web.schemas")
    assert not is_adapter("handoff.channelsx")


def test_pending_exemptions_are_still_needed() -> None:
    """Once the parallel conversion lands, each pattern here matches no offender: remove it from PENDING."""
    still_needed = {
        pattern
        for pattern in PENDING
        for module in modules()
        if fnmatch(module, pattern) and (sql_in(module) or (below_web(module) and router_imports(module)))
    }
    assert still_needed == PENDING, f"no longer needed in PENDING: {sorted(PENDING - still_needed)}"
