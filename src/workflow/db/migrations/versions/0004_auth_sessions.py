"""Server-side sessions, sign-in throttles and API tokens

Revision ID: 0004_auth_sessions
Revises: 0003_audit_trail
"""

from __future__ import annotations

revision = "0004_auth_sessions"
down_revision = "0003_audit_trail"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # filled in by the sessions/throttling/tokens work (issue #13, points 1, 5, 11)


def downgrade() -> None:
    pass
