"""lti registrations, contexts, links, launches, single-use values, secrets, AGS line items and score marks

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 16:53:07.174383
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lti_platforms',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('issuer', sa.String(length=255), nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('deployment_ids', sa.JSON(), nullable=False),
    sa.Column('auth_url', sa.Text(), nullable=False),
    sa.Column('token_url', sa.Text(), nullable=False),
    sa.Column('jwks_url', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_platforms')),
    sa.UniqueConstraint('issuer', 'client_id', name='uq_lti_platforms_issuer_client')
    )
    op.create_table('lti_score_marks',
    sa.Column('line_item_id', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('timestamp', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('line_item_id', 'user_id', name=op.f('pk_lti_score_marks'))
    )
    op.create_table('lti_secrets',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_lti_secrets'))
    )
    op.create_table('lti_used_values',
    sa.Column('scope', sa.String(length=300), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'value', name=op.f('pk_lti_used_values'))
    )
    op.create_index('ix_lti_used_values_expires', 'lti_used_values', ['expires_at'], unique=False)
    op.create_table('lti_tools',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('app_id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.String(length=255), nullable=False),
    sa.Column('login_url', sa.Text(), nullable=False),
    sa.Column('redirect_uris', sa.JSON(), nullable=False),
    sa.Column('target_link_uri', sa.Text(), nullable=False),
    sa.Column('jwks_url', sa.Text(), nullable=True),
    sa.Column('public_jwk', sa.JSON(), nullable=True),
    sa.Column('custom', sa.JSON(), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('share', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['app_id'], ['apps.id'], name=op.f('fk_lti_tools_app_id_apps'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_tools')),
    sa.UniqueConstraint('client_id', name=op.f('uq_lti_tools_client_id'))
    )
    op.create_index(op.f('ix_lti_tools_app_id'), 'lti_tools', ['app_id'], unique=False)
    op.create_table('lti_contexts',
    sa.Column('tool_id', sa.Integer(), nullable=False),
    sa.Column('context_id', sa.String(length=64), nullable=False),
    sa.Column('class_id', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tool_id'], ['lti_tools.id'], name=op.f('fk_lti_contexts_tool_id_lti_tools'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tool_id', 'context_id', name=op.f('pk_lti_contexts'))
    )
    op.create_table('lti_launches',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('tool_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('class_id', sa.String(length=255), nullable=False),
    sa.Column('link', sa.String(length=255), nullable=False),
    sa.Column('target_link_uri', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tool_id'], ['lti_tools.id'], name=op.f('fk_lti_launches_tool_id_lti_tools'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lti_launches'))
    )
    op.create_index(op.f('ix_lti_launches_expires_at'), 'lti_launches', ['expires_at'], unique=False)
    op.create_table('lti_line_items',
    sa.Column('line_item_id', sa.String(length=255), nullable=False),
    sa.Column('tool_id', sa.Integer(), nullable=False),
    sa.Column('context_id', sa.String(length=64), nullable=False),
    sa.Column('class_id', sa.String(length=255), nullable=False),
    sa.Column('resource_link_id', sa.String(length=64), nullable=True),
    sa.Column('resource_id', sa.String(length=255), nullable=True),
    sa.Column('tag', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tool_id'], ['lti_tools.id'], name=op.f('fk_lti_line_items_tool_id_lti_tools'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('line_item_id', name=op.f('pk_lti_line_items'))
    )
    op.create_index('ix_lti_line_items_tool_context', 'lti_line_items', ['tool_id', 'context_id'], unique=False)
    op.create_table('lti_links',
    sa.Column('tool_id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.String(length=64), nullable=False),
    sa.Column('context_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['tool_id'], ['lti_tools.id'], name=op.f('fk_lti_links_tool_id_lti_tools'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tool_id', 'link_id', name=op.f('pk_lti_links'))
    )


def downgrade() -> None:
    op.drop_table('lti_links')
    op.drop_index('ix_lti_line_items_tool_context', table_name='lti_line_items')
    op.drop_table('lti_line_items')
    op.drop_index(op.f('ix_lti_launches_expires_at'), table_name='lti_launches')
    op.drop_table('lti_launches')
    op.drop_table('lti_contexts')
    op.drop_index(op.f('ix_lti_tools_app_id'), table_name='lti_tools')
    op.drop_table('lti_tools')
    op.drop_index('ix_lti_used_values_expires', table_name='lti_used_values')
    op.drop_table('lti_used_values')
    op.drop_table('lti_secrets')
    op.drop_table('lti_score_marks')
    op.drop_table('lti_platforms')
