"""economics (issues 6 and 8): revenue scenarios, market and pitch documents, checklist items

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 18:40:00

Three new tables (autogenerate's ops, checked against a scratch SQLite database at 0006). Existing rows are
untouched.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('checklist_item',
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('checklist', sa.String(length=60), nullable=False),
    sa.Column('item', sa.String(length=80), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_checklist_item_workspace_id_workspace')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_item'))
    )
    with op.batch_alter_table('checklist_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_item_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('revenue_scenario',
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('private', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_revenue_scenario_workspace_id_workspace')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revenue_scenario'))
    )
    with op.batch_alter_table('revenue_scenario', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revenue_scenario_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('workspace_document',
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_workspace_document_workspace_id_workspace')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workspace_document'))
    )
    with op.batch_alter_table('workspace_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workspace_document_workspace_id'), ['workspace_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('workspace_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workspace_document_workspace_id'))

    op.drop_table('workspace_document')
    with op.batch_alter_table('revenue_scenario', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revenue_scenario_workspace_id'))

    op.drop_table('revenue_scenario')
    with op.batch_alter_table('checklist_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_item_workspace_id'))

    op.drop_table('checklist_item')
