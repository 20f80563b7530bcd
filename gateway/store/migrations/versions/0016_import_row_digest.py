"""row digests on roster rows: a re-sync skips the source rows it already holds unread

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

ROSTER_TABLES = (
    'orgs', 'academic_sessions', 'courses', 'classes', 'users', 'user_profiles', 'user_roles',
    'enrollments', 'demographics', 'resources', 'class_resources', 'course_resources',
    'user_resources', 'categories', 'score_scales', 'line_items',
    'line_item_learning_objective_ids', 'line_item_score_scales', 'results',
    'result_learning_objective_ids', 'result_score_scales', 'edfi_descriptors',
)


def upgrade() -> None:
    for table in ROSTER_TABLES:
        op.add_column(table, sa.Column('row_digest', sa.String(length=32), nullable=True))


def downgrade() -> None:
    for table in ROSTER_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column('row_digest')
