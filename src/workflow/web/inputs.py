"""Inputs the database cannot store are refused at the door, for every route.

PostgreSQL text (and jsonb) cannot hold a NUL character: a query parameter, form field or JSON
string containing one would reach the database and fail there with a 500.  No user types a NUL, so
instead of checking each route, one application-wide dependency refuses any request that carries
one in its path, query string, urlencoded form or JSON body with a 422.  Multipart bodies (the
report upload) are left alone: a file may legitimately contain NUL bytes, and the importer decides
what an uploaded file's bytes mean.

Likewise an integer in the path beyond the database's 32-bit integer columns is not an id of
anything: it answers 422 before a query overflows (whatever bound a router declared).
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import HTTPException, Request

NUL_MESSAGE = "提交的内容含有不允许的控制字符（NUL），请删除后重试。"
RANGE_MESSAGE = "地址中的编号超出范围。"
MAX_INT = 2**31 - 1  # INTEGER columns (ids, years, numbers) on PostgreSQL
_INTEGER = re.compile(r"[+-]?[0-9]+")


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


POSTED_FORM = "workflow.posted_form"


async def _body_has_nul(request: Request) -> bool:
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("application/x-www-form-urlencoded"):
        form = await request.form()  # parsed once: the route and posted_form get this same form
        # ... and the busy page (a handler gets a new Request whose body stream is already read).
        request.scope[POSTED_FORM] = form
        return any("\x00" in k or (isinstance(v, str) and "\x00" in v) for k, v in form.multi_items())
    if "json" in ctype:
        body = await request.body()
        if b"\\u0000" not in body and b"\x00" not in body:
            return False  # the common case: no need to parse twice
        try:
            return _has_nul(json.loads(body))
        except ValueError:
            return False  # not JSON: the route's own validation answers
    return False


def _path_int_out_of_range(params: dict[str, Any]) -> bool:
    return any(
        isinstance(v, str) and _INTEGER.fullmatch(v) is not None and abs(int(v)) > MAX_INT
        for v in params.values()
    )


async def refuse_unstorable(request: Request) -> None:
    """App-wide dependency: 422 when a text input contains NUL (U+0000) or a path id overflows."""
    scope = request.scope
    if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b""):
        raise HTTPException(422, NUL_MESSAGE)
    if _path_int_out_of_range(request.path_params):
        raise HTTPException(422, RANGE_MESSAGE)
    if request.method not in ("GET", "HEAD", "OPTIONS") and await _body_has_nul(request):
        raise HTTPException(422, NUL_MESSAGE)
