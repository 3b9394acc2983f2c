"""report index: what a compliance report reads, led by the period, instead of the period alone

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

REPORT_COLUMNS = [
    "resolved_at",
    "outcome",
    "business_elapsed_seconds",
    "milestone",
    "reporting_category",
    "account_id",
    "priority_at_end",
    "process",
    "color",
]


def upgrade() -> None:
    with op.batch_alter_table("milestone_record", schema=None) as batch_op:
        batch_op.drop_index("ix_milestone_record_resolved_at")
        batch_op.create_index("ix_milestone_record_report", REPORT_COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("milestone_record", schema=None) as batch_op:
        batch_op.drop_index("ix_milestone_record_report")
        batch_op.create_index("ix_milestone_record_resolved_at", ["resolved_at"], unique=False)
