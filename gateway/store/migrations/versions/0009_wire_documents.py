"""wire documents on roster rows, the policy version, batched disclosures

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 13:10:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

DOCUMENT_COLUMNS = {"doc_v1p1": sa.LargeBinary, "doc_v1p2": sa.LargeBinary,
                    "doc_refs": sa.Text, "doc_extra": sa.Text}
ROSTER_TABLES = (
    'orgs', 'academic_sessions', 'courses', 'classes', 'users', 'user_profiles', 'user_roles',
    'enrollments', 'demographics', 'resources', 'class_resources', 'course_resources',
    'user_resources', 'categories', 'score_scales', 'line_items',
    'line_item_learning_objective_ids', 'line_item_score_scales', 'results',
    'result_learning_objective_ids', 'result_score_scales', 'edfi_descriptors',
)


def upgrade() -> None:
    for table in ROSTER_TABLES:
        for name, kind in DOCUMENT_COLUMNS.items():
            op.add_column(table, sa.Column(name, kind(), nullable=True))
    # Disclosures carry their students packed and an entry id (batched appends from spools).
    op.add_column("disclosures", sa.Column("students", sa.Text(), nullable=True))
    op.add_column("disclosures", sa.Column("entry_id", sa.String(64), nullable=True))
    op.create_index("ix_disclosures_entry_id", "disclosures", ["entry_id"], unique=True)
    # Marks the store keeps about itself: the policy version (bumped when opt-outs change, so
    # what a reader caches about visibility is keyed by it), the documents' format, how far the
    # disclosure log is indexed by student.
    op.create_table(
        "store_marks",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_store_marks")),
    )
    op.execute("INSERT INTO store_marks (name, value) VALUES ('policy_version', 0)")


def downgrade() -> None:
    op.drop_table("store_marks")
    op.drop_index("ix_disclosures_entry_id", table_name="disclosures")
    with op.batch_alter_table("disclosures") as batch:
        batch.drop_column("entry_id")
        batch.drop_column("students")
    for table in ROSTER_TABLES:
        with op.batch_alter_table(table) as batch:
            for name in DOCUMENT_COLUMNS:
                batch.drop_column(name)
