"""pseudonym_order and its marks: per-app order keys of pseudonymised families, so an app
under a pseudonymous agreement is not served rows in the district's sourcedId order

Revision ID: 0018_order
Revises: 0017
Create Date: 2026-12-08 02:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0018_order'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Filled by the gateway itself (a sync, an app's registration, or the first read of an
    # app whose keys are behind): the keys need the store's pseudonym secret.
    op.create_table(
        "pseudonym_order",
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("family", sa.String(32), nullable=False),
        sa.Column("sourced_id", sa.String(255), nullable=False),
        sa.Column("sort_key", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("app_id", "family", "sourced_id",
                                name=op.f("pk_pseudonym_order")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_pseudonym_order_app_family_key", "pseudonym_order",
                    ["app_id", "family", "sort_key", "sourced_id"])
    op.create_table(
        "pseudonym_order_marks",
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("family", sa.String(32), nullable=False),
        sa.Column("change_version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("app_id", "family", name=op.f("pk_pseudonym_order_marks")),
    )


def downgrade() -> None:
    op.drop_table("pseudonym_order_marks")
    op.drop_index("ix_pseudonym_order_app_family_key", table_name="pseudonym_order")
    op.drop_table("pseudonym_order")
