"""Rendered report tables, cached: the heaviest part of the report pages, and immutable per key.

A submitted version's tables with its findings never change (versions are immutable, a validation
run is stored once), and a draft's tables change only with its revision.  So the HTML of the three
tables is kept in a small per-process LRU keyed by (what, version or revision, run): a reviewer
queue of a few hundred reports is rendered once, not on every page view.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from markupsafe import Markup

MAX_ENTRIES = 512


class FragmentCache:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._items: OrderedDict[tuple[Any, ...], Markup] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries

    def get_or_render(self, key: tuple[Any, ...], render: Callable[[], Markup]) -> Markup:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        html = Markup(render())
        with self._lock:
            self._items[key] = html
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return html


def tables_html(request: Any, key: tuple[Any, ...] | None, **kwargs: Any) -> dict[str, Markup]:
    """{table id: rendered table} for the report in `kwargs` (see _report.html report_table)."""
    macros = request.app.state.templates.env.get_template("_report.html").module
    spec = kwargs.pop("spec")

    def render_one(tid: str) -> Markup:
        return Markup(macros.report_table(spec.table(tid), **kwargs))

    if key is None:  # typed values or form errors on screen: never cached
        return {t.id: render_one(t.id) for t in spec.tables}
    cache: FragmentCache = request.app.state.fragments
    return {t.id: cache.get_or_render((*key, t.id), lambda tid=t.id: render_one(tid)) for t in spec.tables}
