"""Helpers for the few hot endpoints (`POST /webchat`, `POST /admin/api/send`) that read the request
directly: FastAPI's nested dependency resolution cost more than everything else in those requests under
load (profiled with py-spy; see bench/README.md). Validation and error shapes stay the same."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.requests import HTTPConnection, Request

M = TypeVar("M", bound=BaseModel)


def bearer_token(conn: HTTPConnection) -> str | None:
    scheme, _, token = conn.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


async def parse_body(request: Request, model: type[M]) -> M:
    """Validate a JSON body with `model`; failures become the same 422 `{"detail"}` as declared bodies."""
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None


def body_doc(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI for a body read by `parse_body`, so /docs still shows it."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}
