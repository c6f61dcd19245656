"""Where "now" comes from: the system clock, or a fixed/settable one for demos and tests.

Every timestamp the services write comes from `get_clock().now()`, timezone-aware in the district's
time zone (Asia/Shanghai), so deadline arithmetic never mixes naive and aware datetimes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def __init__(self, tz: ZoneInfo = SHANGHAI) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(self.tz)


class FixedClock:
    """Returns the time it was given until told otherwise (set / advance)."""

    def __init__(self, at: datetime, tz: ZoneInfo = SHANGHAI) -> None:
        self.tz = tz
        self._at = _aware(at, tz)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = _aware(at, self.tz)

    def advance(self, **delta: float) -> datetime:
        self._at = self._at + timedelta(**delta)
        return self._at


def _aware(at: datetime, tz: ZoneInfo) -> datetime:
    return at.replace(tzinfo=tz) if at.tzinfo is None else at.astimezone(tz)


_override: Clock | None = None


def set_clock(clock: Clock | None) -> None:
    """Install a clock for this process (tests, demos); None goes back to the configured one."""
    global _override
    _override = clock


def get_clock() -> Clock:
    if _override is not None:
        return _override
    from workflow.settings import get_settings

    s = get_settings()
    tz = ZoneInfo(s.timezone)
    if s.clock == "fixed":
        if not s.fixed_now:
            raise ValueError("WORKFLOW_CLOCK=fixed needs WORKFLOW_FIXED_NOW (an ISO datetime)")
        return FixedClock(datetime.fromisoformat(s.fixed_now), tz)
    return SystemClock(tz)


def now() -> datetime:
    return get_clock().now()
