"""Static files sent precompressed: NAME.br or NAME.gz, written beside NAME at build time, go to a browser whose
Accept-Encoding takes them, with NAME's content type and a Content-Encoding header, so nothing is compressed per
request. A compressed file is only ever picked as a sibling of the file a request resolved to: it never stands in
for a missing file, and asked for by its own name it is served as what it is (compressed bytes, no encoding)."""

from __future__ import annotations

import os
import re
import stat
from mimetypes import guess_type

from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, PathLike, StaticFiles
from starlette.types import Scope

# (content coding, file suffix); with equal weights the first wins: brotli files are the smaller
CODINGS = (("br", ".br"), ("gzip", ".gz"))
# a compressed file asked for by name: its own type, so a browser never takes it for the original's
OWN_TYPES = {".br": "application/octet-stream", ".gz": "application/gzip"}
QVALUE = re.compile(r"(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)")  # RFC 9110 qvalue


def accepted_codings(header: str) -> dict[str, float]:
    """Accept-Encoding as {coding: weight}. q=0 refuses a coding; a malformed weight refuses it too."""
    weights: dict[str, float] = {}
    for item in header.split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        if not coding:
            continue
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                weight = float(value.strip()) if QVALUE.fullmatch(value.strip()) else 0.0
        coding = coding.lower()
        weights["gzip" if coding == "x-gzip" else coding] = weight
    return weights


def preferred_codings(header: str | None) -> list[tuple[str, str]]:
    """The precompressed (coding, suffix) pairs a request accepts, best first. No header: none (send it plain)."""
    if not header:
        return []
    weights = accepted_codings(header)
    wildcard = weights.get("*", 0.0)
    ranked = sorted(
        ((weights.get(coding, wildcard), -rank, coding, suffix) for rank, (coding, suffix) in enumerate(CODINGS)),
        reverse=True,
    )
    return [(coding, suffix) for weight, _, coding, suffix in ranked if weight > 0]


def original_name(path: str) -> str:
    """The file a compressed sibling stands for (index.html for index.html.br); other paths as they are."""
    root, suffix = os.path.splitext(path)
    return root if suffix in OWN_TYPES else path


def regular_file(path: str) -> os.stat_result | None:
    """lstat: a symlink is not followed, so a sibling cannot lead out of the served directory."""
    try:
        result = os.lstat(path)
    except OSError:
        return None
    return result if stat.S_ISREG(result.st_mode) else None


class PrecompressedFiles(StaticFiles):
    """StaticFiles that answers with NAME.br or NAME.gz when the request accepts it and the file exists."""

    def file_response(
        self, full_path: PathLike, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        request_headers = Headers(scope=scope)
        path = os.fspath(full_path)
        suffix = os.path.splitext(path)[1]
        media_type = OWN_TYPES.get(suffix) or guess_type(path)[0] or "text/plain"
        response: FileResponse | None = None
        codings = [] if suffix in OWN_TYPES else preferred_codings(request_headers.get("accept-encoding"))
        for coding, sibling_suffix in codings:
            sibling = regular_file(path + sibling_suffix)
            if sibling is not None:
                response = FileResponse(
                    path + sibling_suffix, status_code=status_code, stat_result=sibling, media_type=media_type
                )
                response.headers["Content-Encoding"] = coding
                break
        if response is None:
            response = FileResponse(path, status_code=status_code, stat_result=stat_result, media_type=media_type)
        # caches must keep the plain and each compressed answer apart
        response.headers["Vary"] = "Accept-Encoding"
        if self.is_not_modified(response.headers, request_headers):
            return NotModifiedResponse(response.headers)
        return response
