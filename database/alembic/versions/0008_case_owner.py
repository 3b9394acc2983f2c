"""case owner: the case record keeps the `owner` field, indexed with `closed_at`, and a case's
running instances are indexed by target, so the console's "My cases" is one indexed query

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=200), nullable=True))
        batch_op.create_index("ix_case_record_owner_open", ["owner", "closed_at"], unique=False)
    with op.batch_alter_table("milestone_record", schema=None) as batch_op:
        batch_op.create_index(
            "ix_milestone_record_case_open", ["case_id", "state", "target_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("milestone_record", schema=None) as batch_op:
        batch_op.drop_index("ix_milestone_record_case_open")
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.drop_index("ix_case_record_owner_open")
        batch_op.drop_column("owner")
