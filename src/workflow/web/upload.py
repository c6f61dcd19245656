"""Uploads read with a running byte count: a 50 MB file is refused before it is buffered.

The Content-Length header is trusted only to refuse early; the stream itself is counted, so a
client that lies (or sends chunked) is cut off at the limit too.  The body is read and parsed once per
request (`multipart_form`, kept on request.state): the CSRF check (workflow.web.security), which runs
first, reads the form's csrf_token field from it, and the route gets the file from the same parse.
The token never travels in the URL (where access logs and Referer headers would keep it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData, UploadFile

# Room for the multipart envelope around the file (boundaries, field names, the revision field).
ENVELOPE = 64 * 1024


@dataclass
class Upload:
    data: bytes = b""
    filename: str = ""
    revision: int = 0
    error: str = ""
    status: int = 200


def too_large(limit: int) -> Upload:
    mb = limit / (1024 * 1024)
    return Upload(error=f"文件过大：上传文件不能超过 {mb:g} MB。报告内容未改变。", status=413)


async def _read_multipart(request: Request, limit: int) -> FormData | Upload:
    if getattr(request, "_form", None) is not None:
        return await request.form()  # a route with form fields: FastAPI parsed the body already
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + ENVELOPE:
        return too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit + ENVELOPE:
            return too_large(limit)
        chunks.append(chunk)
    request._body = b"".join(chunks)  # starlette re-reads the body from here when parsing the form
    return await request.form(max_part_size=limit + ENVELOPE)


async def multipart_form(request: Request, limit: int | None = None) -> FormData | Upload:
    """The request's multipart form, read with a running byte count and parsed once per request (the
    CSRF check and the upload route share it); an Upload carrying the refusal when it is too large."""
    cached: FormData | Upload | None = getattr(request.state, "multipart", None)
    if cached is None:
        if limit is None:
            limit = int(request.app.state.settings.max_upload_bytes)
        cached = await _read_multipart(request, limit)
        request.state.multipart = cached
    return cached


async def read_upload(request: Request, limit: int) -> Upload:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return Upload(error="请选择要上传的文件（.docx、.pdf、.txt 或 .html）。", status=422)
    form = await multipart_form(request, limit)
    if isinstance(form, Upload):
        return form
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return Upload(error="请选择要上传的文件（.docx、.pdf、.txt 或 .html）。", status=422)
    content = await file.read()
    if len(content) > limit:
        return too_large(limit)
    if not content:
        return Upload(error="上传的文件是空的。报告内容未改变。", status=422)
    try:
        revision = int(str(form.get("revision", "")))
    except ValueError:
        return Upload(error="表单缺少版本号，请刷新页面后重试。", status=422)
    return Upload(content, file.filename, revision)


async def uploaded(request: Request) -> Upload:
    """The posted file, read on the event loop (no database): a dependency of the sync upload routes."""
    return await read_upload(request, request.app.state.settings.max_upload_bytes)


Uploaded = Annotated[Upload, Depends(uploaded)]
