"""edfi id map

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:00:00.000000

The Ed-Fi `id` -> sourcedId map (derived data, see gateway/edfi/ids.py). Written with the
naming convention of the shared metadata, as autogenerate would.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('edfi_ids',
    sa.Column('edfi_id', sa.String(length=32), nullable=False),
    sa.Column('resource', sa.String(length=64), nullable=False),
    sa.Column('sourced_id', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('edfi_id', name=op.f('pk_edfi_ids'))
    )
    op.create_index('ix_edfi_ids_resource_sourced_id', 'edfi_ids', ['resource', 'sourced_id'],
                    unique=False)
    op.create_table('edfi_id_marks',
    sa.Column('resource', sa.String(length=64), nullable=False),
    sa.Column('change_version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('resource', name=op.f('pk_edfi_id_marks'))
    )


def downgrade() -> None:
    op.drop_table('edfi_id_marks')
    op.drop_index('ix_edfi_ids_resource_sourced_id', table_name='edfi_ids')
    op.drop_table('edfi_ids')
