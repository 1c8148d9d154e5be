"""modelhub (issue 5): benchmark runs and background jobs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 13:00:00

Reserved in the chain so the plan, compute and modelhub tables can be built side by side; the
issue that owns it fills upgrade() and downgrade().
"""

from collections.abc import Sequence

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
