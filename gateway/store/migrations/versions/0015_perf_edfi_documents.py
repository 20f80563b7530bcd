"""Ed-Fi documents rendered at sync time (students, staffs, contacts and the role-based
associations), with person keys left as placeholders a read fills in per app

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 19:45:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "edfi_documents",
        sa.Column("resource", sa.String(64), nullable=False),
        sa.Column("sourced_id", sa.String(255), nullable=False),
        sa.Column("doc", sa.LargeBinary(), nullable=False),
        sa.Column("persons", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("resource", "sourced_id", name=op.f("pk_edfi_documents")),
    )


def downgrade() -> None:
    op.drop_table("edfi_documents")
