"""compute cost engine (issue 4): GPU catalogue overrides and cost scenarios

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 13:00:00

Reserved in the chain so the plan, compute and modelhub tables can be built side by side; the
issue that owns it fills upgrade() and downgrade().
"""

from collections.abc import Sequence

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
