"""Backups a clerk's office can run: `workflow backup FILE` and `workflow restore FILE`.

One .tar.gz holds a consistent database snapshot (SQLite's online backup API, or `pg_dump` inside a
REPEATABLE READ transaction whose snapshot the counts in the manifest were read from), every stored
published file, and `manifest.json`: each member's SHA-256 and size, the schema (Alembic) revision, the
backend, the creation time and the counts of the key tables.

The database is snapshotted first and the files copied after: a publication row is written only after
its files are stored, and stored files are never removed, so every file the snapshot refers to is in
the archive.  A restore checks every hash before it touches anything.
"""

from workflow.backup.errors import BackupError
from workflow.backup.run import RestoreSummary, backup, restore

__all__ = ["BackupError", "RestoreSummary", "backup", "restore"]
