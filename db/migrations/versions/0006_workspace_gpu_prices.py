"""compute cost engine (issue 4): a workspace's own GPU prices, per provider and kind

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 14:10:00

One new table (gpu_price), in the columns of 0003's gpu_override (autogenerate's ops, checked against a
scratch SQLite database at 0005). Existing rows are untouched: a GPU row's single price keeps working.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gpu_price",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("gpu", sa.String(length=40), nullable=False),
        sa.Column("provider", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("usd_per_gpu_hour", sa.Float(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("as_of", sa.String(length=20), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], name=op.f("fk_gpu_price_workspace_id_workspace")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gpu_price")),
    )
    with op.batch_alter_table("gpu_price", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gpu_price_workspace_id"), ["workspace_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("gpu_price", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gpu_price_workspace_id"))
    op.drop_table("gpu_price")
