"""Forms posted after the session expired, kept server-side until the user signs in again.

The typed text must survive an expired session: the posted fields are written to a file named by a
random token (data_dir/web-stash), the login page carries the token, and the form page restores the
fields once the user is back.  Stashes older than a day are swept when a new one is written.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path
from typing import Any

MAX_AGE_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class FormStash:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def put(self, path: str, fields: dict[str, str]) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._sweep()
        token = secrets.token_urlsafe(24)
        data = {"path": path, "fields": fields, "at": time.time()}
        (self.directory / f"{token}.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
        return token

    def take(self, token: str, path: str) -> dict[str, str] | None:
        """The stashed fields for `path`, removed once read; None when unknown, expired or elsewhere."""
        if not _TOKEN.match(token or ""):
            return None
        file = self.directory / f"{token}.json"
        try:
            data: dict[str, Any] = json.loads(file.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if data.get("path") != path or time.time() - float(data.get("at", 0)) > MAX_AGE_SECONDS:
            return None
        file.unlink(missing_ok=True)
        return {str(k): str(v) for k, v in data.get("fields", {}).items()}

    def _sweep(self) -> None:
        cutoff = time.time() - MAX_AGE_SECONDS
        for f in self.directory.glob("*.json"):
            try:
                if f.stat().st_mtime < cutoff:
                    f.unlink()
            except OSError:
                pass
