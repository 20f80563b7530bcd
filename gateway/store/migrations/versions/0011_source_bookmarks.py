"""source bookmarks: the incremental cursor of each stream of a REST API source

Revision ID: 0011
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('source_bookmarks',
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('stream', sa.String(length=128), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('source', 'stream', name=op.f('pk_source_bookmarks'))
    )


def downgrade() -> None:
    op.drop_table('source_bookmarks')
