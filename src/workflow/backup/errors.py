"""The one error of the backup package: its message is shown to the operator as is (Chinese)."""

from __future__ import annotations


class BackupError(Exception):
    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)
