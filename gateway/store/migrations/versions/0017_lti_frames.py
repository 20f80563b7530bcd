"""lti_platforms.frame_ancestors: the origins allowed to frame the gateway's launch pages of
an LMS (null: the LMS issuer's origin)

Revision ID: 0017
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('lti_platforms', sa.Column('frame_ancestors', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('lti_platforms') as batch:
        batch.drop_column('frame_ancestors')
