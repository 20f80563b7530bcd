"""lti relay: pending LMS logins, LMS users and contexts matched to canonical ones, unmatched launches, deep links, launch message types, grade routes to LMSs and score forwards

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lti_lms_logins',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('target_link_uri', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platforms.id'], name=op.f('fk_lti_lms_logins_platform_id_lti_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_lms_logins'))
    )
    op.create_index(op.f('ix_lti_lms_logins_expires_at'), 'lti_lms_logins', ['expires_at'], unique=False)
    op.create_table('lti_lms_users',
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('lms_user', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('matched_by', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platforms.id'], name=op.f('fk_lti_lms_users_platform_id_lti_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('platform_id', 'lms_user', name=op.f('pk_lti_lms_users'))
    )
    op.create_table('lti_lms_contexts',
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('lms_context', sa.String(length=255), nullable=False),
    sa.Column('class_id', sa.String(length=255), nullable=False),
    sa.Column('matched_by', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platforms.id'], name=op.f('fk_lti_lms_contexts_platform_id_lti_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('platform_id', 'lms_context', name=op.f('pk_lti_lms_contexts'))
    )
    op.create_table('lti_unmatched',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('lms_value', sa.String(length=255), nullable=False),
    sa.Column('hints', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platforms.id'], name=op.f('fk_lti_unmatched_platform_id_lti_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_unmatched')),
    sa.UniqueConstraint('platform_id', 'kind', 'lms_value', name='uq_lti_unmatched_value')
    )
    op.add_column('lti_launches', sa.Column('message_type', sa.String(length=32), server_default='LtiResourceLinkRequest', nullable=False))
    op.add_column('lti_launches', sa.Column('relay', sa.JSON(), nullable=True))
    op.create_table('lti_deep_links',
    sa.Column('tool_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('class_id', sa.String(length=255), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('custom', sa.JSON(), nullable=False),
    sa.Column('line_item_id', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tool_id'], ['lti_tools.id'], name=op.f('fk_lti_deep_links_tool_id_lti_tools'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tool_id', 'name', name=op.f('pk_lti_deep_links'))
    )
    op.create_table('lti_grade_routes',
    sa.Column('tool_id', sa.Integer(), nullable=False),
    sa.Column('class_id', sa.String(length=255), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('lineitems_url', sa.Text(), nullable=True),
    sa.Column('lineitem_url', sa.Text(), nullable=True),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platforms.id'], name=op.f('fk_lti_grade_routes_platform_id_lti_platforms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tool_id'], ['lti_tools.id'], name=op.f('fk_lti_grade_routes_tool_id_lti_tools'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tool_id', 'class_id', 'platform_id', name=op.f('pk_lti_grade_routes'))
    )
    op.create_table('lti_forwarded_items',
    sa.Column('line_item_id', sa.String(length=255), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('lms_line_item', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platforms.id'], name=op.f('fk_lti_forwarded_items_platform_id_lti_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('line_item_id', 'platform_id', name=op.f('pk_lti_forwarded_items'))
    )
    op.create_table('lti_score_forwards',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('tool_id', sa.Integer(), nullable=False),
    sa.Column('class_id', sa.String(length=255), nullable=False),
    sa.Column('line_item_id', sa.String(length=255), nullable=False),
    sa.Column('lms_user', sa.String(length=255), nullable=False),
    sa.Column('timestamp', sa.String(length=32), nullable=False),
    sa.Column('score', sa.JSON(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['platform_id'], ['lti_platforms.id'], name=op.f('fk_lti_score_forwards_platform_id_lti_platforms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tool_id'], ['lti_tools.id'], name=op.f('fk_lti_score_forwards_tool_id_lti_tools'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_score_forwards'))
    )
    op.create_index('ix_lti_score_forwards_due', 'lti_score_forwards', ['done_at', 'next_attempt_at'], unique=False)
    op.create_table('lti_forward_marks',
    sa.Column('lms_line_item', sa.String(length=512), nullable=False),
    sa.Column('lms_user', sa.String(length=255), nullable=False),
    sa.Column('timestamp', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('lms_line_item', 'lms_user', name=op.f('pk_lti_forward_marks'))
    )


def downgrade() -> None:
    op.drop_table('lti_forward_marks')
    op.drop_index('ix_lti_score_forwards_due', table_name='lti_score_forwards')
    op.drop_table('lti_score_forwards')
    op.drop_table('lti_forwarded_items')
    op.drop_table('lti_grade_routes')
    op.drop_table('lti_deep_links')
    with op.batch_alter_table('lti_launches') as batch:
        batch.drop_column('relay')
        batch.drop_column('message_type')
    op.drop_table('lti_unmatched')
    op.drop_table('lti_lms_contexts')
    op.drop_table('lti_lms_users')
    op.drop_index(op.f('ix_lti_lms_logins_expires_at'), table_name='lti_lms_logins')
    op.drop_table('lti_lms_logins')
