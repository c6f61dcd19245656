"""The kinds of request the season load test names, each a page (a GET somebody waits to read) or a
write (a form posted: sign-in, save, upload, explanation, submission, decision), and the targets.

Kept apart from the locustfile so the runner and the test can read it without importing locust (which
monkey-patches the standard library with gevent on import).
"""

from __future__ import annotations

PAGE_P95_MS = 500
WRITE_P95_MS = 1000
CHECKED_WITHIN_S = 60  # every submission made during the run is checked this long after its end

PAGE, WRITE, CONFLICT = "page", "write", "conflict"

KINDS: dict[str, str] = {
    "clerk: login page": PAGE,
    "clerk: login": WRITE,
    "clerk: my reports": PAGE,
    "clerk: form": PAGE,
    "clerk: save": WRITE,
    "clerk: save (conflict)": CONFLICT,
    "clerk: upload": WRITE,
    "clerk: upload (confirm)": WRITE,
    "clerk: explain": WRITE,
    "clerk: submit": WRITE,
    "clerk: status": PAGE,
    "reviewer: login page": PAGE,
    "reviewer: login": WRITE,
    "reviewer: queue": PAGE,
    "reviewer: report": PAGE,
    "reviewer: approve": WRITE,
    "reviewer: return": WRITE,
    "reviewer: decide (conflict)": CONFLICT,
    "office: login page": PAGE,
    "office: login": WRITE,
    "office: dashboard": PAGE,
    "office: xlsx": PAGE,
    "office: review queue": PAGE,
    "public: index": PAGE,
    "public: year": PAGE,
    "public: report": PAGE,
    "public: pdf": PAGE,
    "public: search": PAGE,
    # Not a request: a simulated person who could not go on (no account left, a form without the
    # fields it needs, a draft that still has errors when it should not).  Always a failure.
    "scenario": WRITE,
}


def kind_class(name: str) -> str:
    """page / write / conflict for a request name (an unknown name counts as a page)."""
    return KINDS.get(name, PAGE)


def target_ms(name: str) -> float | None:
    cls = kind_class(name)
    if cls == CONFLICT:
        return None  # an expected race lost: answered, counted, not held to a latency target
    return WRITE_P95_MS if cls == WRITE else PAGE_P95_MS
