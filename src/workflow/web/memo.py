"""A small per-process LRU for what the pages derive from rows that never change.

A submitted version, a finished validation run and a draft at a given revision are immutable, so
what the pages compute from them (the parsed report, its form values, findings placed at cells,
diffs) is computed once per process and key, not on every page view.  Keys always name the
immutable thing (version id, run id, draft revision), so an entry is never stale; the LRU only
bounds memory.  Values are shared between requests and threads: callers must not mutate them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
MAX_ENTRIES = 1024


class Memo:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries

    def get_or_make(self, key: Hashable, make: Callable[[], T]) -> T:
        """The value for `key`, made by `make()` on a miss.  A None result is not kept."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]  # type: ignore[no-any-return]
        value = make()  # outside the lock: two threads may both make it; both results are equal
        if value is not None:
            self.put(key, value)
        return value

    def get(self, key: Hashable) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
