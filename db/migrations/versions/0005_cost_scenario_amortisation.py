"""compute cost engine (issue 4): a cost scenario's training cost, one-off or amortised over N months

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00

One nullable column: NULL keeps every existing scenario one-off, as it was.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cost_scenario", schema=None) as batch_op:
        batch_op.add_column(sa.Column("training_amortise_months", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cost_scenario", schema=None) as batch_op:
        batch_op.drop_column("training_amortise_months")
