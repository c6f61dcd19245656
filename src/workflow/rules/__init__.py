"""Rule catalog and engine (pure: no I/O)."""
