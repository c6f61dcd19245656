"""What a channel sends: one rendered message, addressed."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str = ""
    to: tuple[str, ...] = ()
    # Stable per reminders_sent row, so a receiving side can drop a duplicate after a crash mid-send.
    message_id: str = ""
    headers: dict[str, str] = field(default_factory=dict)


class DeliveryError(Exception):
    """A channel could not deliver (server down, refused, webhook error code): retried with backoff."""
