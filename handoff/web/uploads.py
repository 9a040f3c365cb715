"""File uploads (`POST /api/v1/uploads`, staff or visitor token) and the signed links that serve them
(`GET /files/{id}/{name}`, no header: they must work in an `<img>`)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, HTTPException, Query, UploadFile, status
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel

from handoff import uploads
from handoff.context import Ctx
from handoff.identity import staff_from_token, unauthorized, visitor_from_token
from handoff.store import uploads as store
from handoff.web.deps import bearer
from handoff.web.params import IdPath
from handoff.web.schemas import error_responses

router = APIRouter(tags=["uploads"])
READ_CHUNK = 64 * 1024


class Upload(BaseModel):
    id: int
    name: str
    content_type: str
    size: int
    url: str


async def uploader(ctx: Ctx, token: str) -> tuple[int, str]:
    """(tenant, owner) for a staff or a visitor token: the owner is who may attach the file later."""
    try:
        staff = await staff_from_token(ctx, token)
    except HTTPException:
        visitor = visitor_from_token(ctx, token)  # neither kind: its 401
        return visitor.tenant_id, f"visitor:{visitor.visitor_id}"
    return staff.tenant_id, f"staff:{staff.id}"


@router.post(
    "/api/v1/uploads",
    status_code=status.HTTP_201_CREATED,
    response_model=Upload,
    responses=error_responses(401, 413, 415, 422),
)
async def upload(
    ctx: Ctx,
    file: Annotated[UploadFile, File()],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Upload:
    """Store a file to attach to a message: an image (png, jpeg, gif, webp), a pdf or plain UTF-8 text, told
    apart by its bytes (anything else is 415). The `url` works without a header for about an hour; messages
    carry fresh ones."""
    if credentials is None:
        raise unauthorized()
    tenant_id, owner = await uploader(ctx, credentials.credentials)
    data = await file.read(ctx.settings.upload_max_bytes + 1)
    if len(data) > ctx.settings.upload_max_bytes:  # the body limit normally stops it first
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "file too large")
    if not data:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "file is empty")
    content_type = uploads.sniff(data)
    if content_type is None:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "unsupported file type: images, pdf and plain text only"
        )
    name = uploads.clean_name(file.filename)
    row = await ctx.db.write(lambda c: store.insert(c, tenant_id, owner, name, content_type, data))
    return Upload(**row, url=uploads.link(row["id"], tenant_id, name))


@router.get("/files/{upload_id}/{name}", responses=error_responses(403, 404), include_in_schema=False)
async def serve(
    upload_id: IdPath,
    name: str,
    ctx: Ctx,
    exp: Annotated[int, Query(ge=0, le=2**40)],
    sig: Annotated[str, Query(max_length=128)],
) -> Response:
    """A file by its signed link: the signature covers the id, the file's tenant and the expiry."""
    row = await ctx.db.read(lambda c: store.load(c, upload_id))
    if row is None or not uploads.link_valid(upload_id, int(row["tenant_id"]), exp, sig):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "link expired or invalid")
    content_type = str(row["content_type"])
    # Only images are shown in place; anything else downloads, so a browser never renders it as a page.
    disposition = "inline" if content_type in uploads.IMAGE_TYPES else "attachment"
    headers = {
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(str(row['name']), safe='')}",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=3600",
    }
    media_type = "text/plain; charset=utf-8" if content_type == "text/plain" else content_type
    return Response(bytes(row["data"]), media_type=media_type, headers=headers)
