"""Jinja2 for the pages: autoescape always on, Chinese labels as globals."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Request
from fastapi.templating import Jinja2Templates

from workflow.domain.bodies import BODY_TYPE_LABELS
from workflow.domain.formats import FORMATS, SECTION_NUMERALS, SECTION_TITLES, TABLE_NAMES
from workflow.domain.states import STAGE_LABELS, STATE_LABELS
from workflow.rules.engine import SEVERITY_LABELS
from workflow.web.forms import cell_name
from workflow.web.layout import layout
from workflow.web.reasons import REASON_CODES
from workflow.web.security import CSRF_FIELD, csrf_token

TEMPLATE_DIR = Path(__file__).parent / "templates"
_TZ = ZoneInfo("Asia/Shanghai")


def _dt(value: datetime | date | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(_TZ).strftime(fmt)
    return value.strftime("%Y-%m-%d")


def more_less(difference: Any) -> str:
    """A finding's difference (actual − expected) in words: "，多 5" / "，少 5", never "相差 -5"."""
    try:
        d = Decimal(str(difference))
    except (InvalidOperation, ValueError):
        return ""
    if d == 0:
        return ""
    n = abs(d)
    return f"，{'多' if d > 0 else '少'} {format(n.normalize(), 'f')}"


def _context(request: Request) -> dict[str, Any]:
    from workflow.web.header import Header  # the due date and unread count, computed only if shown

    return {
        "csrf": csrf_token(request),
        "current_user": getattr(request.state, "user", None),
        "header": Header(request),
    }


def build_templates(*, auto_reload: bool = True) -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        auto_reload=auto_reload,  # off: no stat() of every template file on every render
        cache_size=-1,  # every template stays compiled
        autoescape=True,  # every page: narrative text is data, never markup or template code
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        FORMATS=FORMATS,
        SECTION_TITLES=SECTION_TITLES,
        SECTION_NUMERALS=SECTION_NUMERALS,
        TABLE_NAMES=TABLE_NAMES,
        STATE_LABELS={k.value: v for k, v in STATE_LABELS.items()},
        SEVERITY_LABELS={k.value: v for k, v in SEVERITY_LABELS.items()},
        BODY_TYPE_LABELS={k.value: v for k, v in BODY_TYPE_LABELS.items()},
        CSRF_FIELD=CSRF_FIELD,
        STAGE_LABELS=STAGE_LABELS,
        REASON_CODES=REASON_CODES,
        cell_name=cell_name,
        layout=layout,
    )
    env.filters["dt"] = _dt
    env.filters["more_less"] = more_less
    return Jinja2Templates(env=env, context_processors=[_context])


def compile_all(templates: Jinja2Templates) -> None:
    """Compile every template now (~75 ms), not in the first request for each page after a start."""
    for name in templates.env.list_templates():
        templates.env.get_template(name)
