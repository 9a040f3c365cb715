"""`/openapi.json` describes every answer, since the admin SPA's TypeScript types are generated from it: each
operation declares its success body (a JSON schema with real fields, or a declared non-JSON media type),
errors are documented as the `{"detail": "..."}` they are, and the answers built by hand on the hot paths
still match the models they declare."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from handoff.web.schemas import SentMessage
from handoff.web.widget import WebchatAccepted
from server import Healthy
from tests.conftest import BACKENDS
from tests.support import LiveServer, make_tenant, visitor_session

# The hand-built answers carry values as each database returns them: both must match the declared models.
pytestmark = BACKENDS
METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture(scope="module")
def spec(server: LiveServer) -> dict[str, Any]:
    response = httpx.get(f"{server.url}/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = spec["components"]["schemas"][name]
    return schema


def vague(spec: dict[str, Any], schema: dict[str, Any], seen: frozenset[str] = frozenset()) -> list[str]:
    """Where a JSON schema says nothing: `{}` (an `Any` field), or an object with no fields at all (what
    FastAPI derives from a `-> dict[str, Any]` handler). Free-form parts inside a described object (an
    audit event's `detail`) are declared as such (`additionalProperties`) and are not vague."""
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return []
        return vague(spec, resolve(spec, schema), seen | {schema["$ref"]})
    if not schema:
        return ["{}"]
    found = []
    for part in schema.get("anyOf", []) + schema.get("allOf", []) + schema.get("oneOf", []):
        found += vague(spec, part, seen)
    if schema.get("type") == "array":
        found += vague(spec, schema.get("items", {}), seen)
    if "properties" in schema:
        for name, field in schema["properties"].items():
            found += [f"{name}: {problem}" for problem in vague(spec, field, seen)]
    return found


def test_every_operation_declares_what_it_answers(spec: dict[str, Any]) -> None:
    problems = []
    for operation, body in operations(spec):
        successes = {code: r for code, r in body["responses"].items() if code.startswith("2")}
        if not successes:
            problems.append(f"{operation}: no 2xx response")
        for code, response in successes.items():
            content = response.get("content", {})
            if code == "204":
                if content:
                    problems.append(f"{operation}: 204 with a body")
                continue
            if not content:
                problems.append(f"{operation} {code}: no media type")
            for media_type, described in content.items():
                schema = described.get("schema") or {}
                if media_type == "application/json":
                    top = resolve(spec, schema)
                    if top.get("type") == "object" and not top.get("properties"):
                        problems.append(f"{operation} {code}: an object with no declared fields")
                    problems += [f"{operation} {code}: {problem}" for problem in vague(spec, schema)]
                elif not schema:
                    problems.append(f"{operation} {code}: {media_type} without a schema")
    assert not problems, "\n".join(problems)


def test_webhooks_and_exports_declare_their_media_types(spec: dict[str, Any]) -> None:
    def media(path: str, method: str = "post", code: str = "200") -> set[str]:
        return set(spec["paths"][path][method]["responses"][code]["content"])

    assert media("/webhooks/twilio/sms") == media("/webhooks/twilio/status") == {"text/xml"}
    assert media("/webhooks/messenger") == media("/webhooks/messenger", "get") == {"text/plain"}
    assert media("/api/v1/analytics/export.csv", "get") == {"text/csv"}
    # Their failures are JSON, whatever the success's media type.
    assert media("/webhooks/twilio/sms", code="403") == {"application/json"}
    assert "content" not in spec["paths"]["/api/v1/auth/logout"]["post"]["responses"]["204"]


def test_validation_errors_are_documented_as_they_are_sent(server: LiveServer, spec: dict[str, Any]) -> None:
    documented = spec["paths"]["/api/v1/auth/login"]["post"]["responses"]["422"]["content"]["application/json"]
    assert resolve(spec, documented["schema"])["properties"] == {"detail": {"type": "string", "title": "Detail"}}
    sent = httpx.post(f"{server.url}/api/v1/auth/login", json={"email": "x"})
    assert sent.status_code == 422 and isinstance(sent.json()["detail"], str)
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def exactly(model: type[BaseModel], answer: dict[str, Any]) -> None:
    """The answer validates and has no key the model lacks (the docs would not mention it)."""
    assert model.model_validate(answer).model_dump(mode="json", exclude_unset=True) == answer


def test_hand_built_answers_match_their_declared_models(server: LiveServer) -> None:
    """`POST /webchat`, `POST /admin/api/send` and `/health` write their JSON themselves (no response model
    runs on them), so nothing else keeps them and their documentation together."""
    admin, key = make_tenant(server)
    session = visitor_session(server, key)
    visitor = {"Authorization": f"Bearer {session['visitor_token']}"}
    accepted = httpx.post(f"{server.url}/webchat", json={"text": "hello", "client_id": "c-1"}, headers=visitor)
    assert accepted.status_code == 200
    exactly(WebchatAccepted, accepted.json())
    sent = admin.post("/admin/api/send", {"conversation_id": accepted.json()["conversation_id"], "text": "hi"})
    assert sent.status_code == 200
    exactly(SentMessage, sent.json())
    exactly(Healthy, httpx.get(f"{server.url}/health").json())


def test_settings_saved_as_null_are_answered_as_null(server: LiveServer) -> None:
    """A PATCH may store an explicit null for any widget setting; the declared models must allow it, or the
    tenant and every widget session of that business would answer 500."""
    admin, key = make_tenant(server)
    nulls = {"greeting": None, "color": None, "position": None, "language": None, "prechat_form": None}
    staff_only = {"timezone": None, "allowed_origins": None, "csat": None}
    routing = {"away_message": None, "auto_assign": None}
    saved = admin.patch("/api/v1/tenant", {"settings": {**nulls, **routing, **staff_only}})
    assert saved.status_code == 200, saved.text
    trust = {"require_identity": False, "require_mfa": False}  # not saved: their defaults
    assert saved.json()["settings"] == {**nulls, **routing, "business_hours": None, **staff_only, **trust}
    assert httpx.post(  # a null list of sites is no list: any site
        f"{server.url}/api/v1/widget/session", json={"widget_key": key}, headers={"Origin": "https://any.example"}
    ).is_success
    assert visitor_session(server, key)["settings"]["greeting"] is None
