"""operator generations, back-sync checks and reconciliation runs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 21:10:00

- ``postings.generation``: bumped by an operator re-run or repost, so the idempotency key (and, for a
  repost, the tag) differs from the one the provider may still be caching for the earlier try.
- ``postings.checked_at`` / ``postings.drift``: when back-sync last compared the posting with the books,
  and the field-by-field difference it found (JSON), so `show` and `report` can say what changed.
- ``reconciliation_runs``: every back-sync or reconcile, with its range and counts per state.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('postings') as batch:
        batch.add_column(sa.Column('generation', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('drift', sa.Text(), nullable=True))
    op.create_table(
        'reconciliation_runs',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('tenant', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('range_from', sa.DateTime(timezone=True), nullable=True),
        sa.Column('range_to', sa.DateTime(timezone=True), nullable=True),
        sa.Column('cursor_before', sa.String(length=100), nullable=True),
        sa.Column('cursor_after', sa.String(length=100), nullable=True),
        sa.Column('documents_seen', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('counts', sa.Text(), nullable=False, server_default='{}'),
        sa.Column('outcome', sa.String(length=20), nullable=False, server_default='running'),
        sa.Column('error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_reconciliation_runs_tenant_started', 'reconciliation_runs', ['tenant', 'started_at'])


def downgrade() -> None:
    op.drop_index('ix_reconciliation_runs_tenant_started', table_name='reconciliation_runs')
    op.drop_table('reconciliation_runs')
    with op.batch_alter_table('postings') as batch:
        batch.drop_column('drift')
        batch.drop_column('checked_at')
        batch.drop_column('generation')
