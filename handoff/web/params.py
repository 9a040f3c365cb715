"""Integer path, query and body fields, bounded to what SQLite stores: a larger number is a 422, never an
OverflowError (500). Every route takes its ids and cursors through these."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

from handoff.store.database import MAX_INTEGER

IdPath = Annotated[int, Path(ge=1, le=MAX_INTEGER)]
# `before=<id>`: rows with a smaller id. `after=<id>`: rows with a larger one, 0 meaning from the start.
BeforeQuery = Annotated[int | None, Query(ge=1, le=MAX_INTEGER)]
AfterQuery = Annotated[int | None, Query(ge=0, le=MAX_INTEGER)]
# An id in a JSON body.
Id = Annotated[int, Field(ge=1, le=MAX_INTEGER)]


def id_in_text(text: str) -> int | None:
    """An id written inside a string parameter (a cursor, `assignee=<user id>`), or None when it is not one."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_INTEGER)):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_INTEGER else None
