"""E-mail text from Jinja2 templates: templates/email/<name>/{subject.txt,body.txt,body.html}."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )


def render_email(name: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, plain text, html) of the e-mail template `name`."""
    env = environment()
    subject = env.get_template(f"email/{name}/subject.txt").render(context).strip().replace("\n", " ")
    text = env.get_template(f"email/{name}/body.txt").render(context).strip() + "\n"
    html = env.get_template(f"email/{name}/body.html").render(context)
    return subject, text, html
