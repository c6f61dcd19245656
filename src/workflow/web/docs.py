"""/docs: the OpenAPI description as a plain page that works on a closed network (no CDN assets)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from workflow.web.deps import MaybeUser
from workflow.web.views_common import render

router = APIRouter(include_in_schema=False)


def _operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            out.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "params": op.get("parameters", []),
                    "body": body.get("$ref", "").rsplit("/", 1)[-1] if body else "",
                    "responses": sorted(op.get("responses", {}).keys()),
                }
            )
    return out


@router.get("/docs")
def docs(request: Request, user: MaybeUser) -> Response:
    spec = request.app.openapi()
    ctx = {"spec": spec, "ops": _operations(spec), "schemas": spec.get("components", {}).get("schemas", {})}
    return render(request, "api/docs.html", ctx)
