"""Saved-reply templates: Jinja2 in a sandbox, and a smaller language than Jinja2 on top of it.

The sandbox alone renders `{{ ''.__class__ }}` as an empty string, so a template that tries it would be
saved and look harmless. Instead each template is checked when saved against an allow-list of syntax:
text, `{{ name.attr }}` lookups of a name (never of a string or a result), `{% if %}`/`{% else %}`, comparisons, `and`/`or`/`not`,
`~` and a few filters that take no size argument. No loops, calls, assignments, macros, includes or item
lookups, so rendering is bounded by the template's own size plus the values' sizes; the rendered text is
still capped at MAX_RENDERED.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from jinja2 import ChainableUndefined, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from handoff.errors import Invalid

MAX_RENDERED = 4000  # the longest message a staff member may send
VARIABLES = {"contact": ("name", "email", "phone"), "agent": ("name",), "tenant": ("name",)}
FILTERS = frozenset({"default", "d", "upper", "lower", "title", "capitalize", "trim"})
ALLOWED_NODES: tuple[type[nodes.Node], ...] = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Getattr,
    nodes.Const,
    nodes.If,
    nodes.CondExpr,
    nodes.Compare,
    nodes.Operand,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Concat,
    nodes.Filter,
)

# None (an unknown name, a contact without an email) renders as nothing, not as "None".
_env = SandboxedEnvironment(undefined=ChainableUndefined, finalize=lambda v: "" if v is None else v, autoescape=False)


def check(text: str) -> None:
    """Raise Invalid (422) unless `text` is a template this module will render."""
    try:
        tree = _env.parse(text)
    except TemplateSyntaxError as exc:
        raise Invalid(f"text is not a valid template (line {exc.lineno}): {exc.message}") from None
    for node in tree.find_all(nodes.Node):
        if not isinstance(node, ALLOWED_NODES):
            raise Invalid(f"text uses {type(node).__name__.lower()}, which saved replies do not allow")
        if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            raise Invalid(f"text may not reach attribute {node.attr!r}")
        if isinstance(node, nodes.Getattr) and not isinstance(node.node, nodes.Name):
            raise Invalid("only contact, agent and tenant have attributes (e.g. {{ contact.name }})")
        if isinstance(node, nodes.Filter) and node.name not in FILTERS:
            raise Invalid(f"filter {node.name!r} is not allowed; use one of {', '.join(sorted(FILTERS))}")
        if isinstance(node, nodes.Name) and node.ctx != "load":
            raise Invalid("text may not assign variables")
    render(text, sample_context())


def render(text: str, context: dict[str, Any]) -> str:
    """The template filled in; Invalid when it cannot be (or would be longer than a message may be)."""
    try:
        out = []
        size = 0
        for chunk in _env.from_string(text).generate(**context):
            size += len(chunk)
            if size > MAX_RENDERED:
                raise Invalid(f"the rendered text is longer than {MAX_RENDERED} characters")
            out.append(chunk)
    except (SecurityError, TemplateError) as exc:
        raise Invalid(f"text cannot be rendered: {exc}") from None
    return "".join(out)


def context(values: dict[str, dict[str, str | None]]) -> dict[str, Any]:
    """The template's variables: plain namespaces holding only the known attributes that have a value, so
    `contact.items` is not a dict method and a missing email is undefined (`default(...)` applies)."""
    return {
        name: SimpleNamespace(**{a: v for a in attrs if (v := values.get(name, {}).get(a)) is not None})
        for name, attrs in VARIABLES.items()
    }


def sample_context() -> dict[str, Any]:
    """Short values for the trial render when a template is saved (real values are checked at render)."""
    return context({name: {attr: "x" for attr in attrs} for name, attrs in VARIABLES.items()})
