"""entitlement cases: default entitlements (no account), the cases an allowance covered, and the
entitlement on every milestone and case record (reports group by it)

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

import database.engine

revision = "0007"
down_revision = "0006"
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
    with op.batch_alter_table("entitlement", schema=None) as batch_op:
        batch_op.alter_column("account_id", existing_type=sa.String(length=200), nullable=True)
    op.create_table(
        "entitlement_case",
        sa.Column("case_id", sa.String(length=200), nullable=False),
        sa.Column("entitlement_id", sa.Integer(), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("started_at", database.engine.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entitlement_id"],
            ["entitlement.id"],
            name=op.f("fk_entitlement_case_entitlement_id_entitlement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_entitlement_case")),
    )
    with op.batch_alter_table("entitlement_case", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_entitlement_case_entitlement_id"), ["entitlement_id"], unique=False
        )
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entitlement", sa.String(length=100), nullable=True))
    with op.batch_alter_table("milestone_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entitlement", sa.String(length=100), nullable=True))
        batch_op.drop_index("ix_milestone_record_report")
        batch_op.create_index(
            "ix_milestone_record_report", [*REPORT_COLUMNS, "entitlement"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("milestone_record", schema=None) as batch_op:
        batch_op.drop_index("ix_milestone_record_report")
        batch_op.create_index("ix_milestone_record_report", REPORT_COLUMNS, unique=False)
        batch_op.drop_column("entitlement")
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.drop_column("entitlement")
    with op.batch_alter_table("entitlement_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entitlement_case_entitlement_id"))
    op.drop_table("entitlement_case")
    # Default entitlements have no account to go back to.
    op.execute("DELETE FROM entitlement WHERE account_id IS NULL")
    with op.batch_alter_table("entitlement", schema=None) as batch_op:
        batch_op.alter_column("account_id", existing_type=sa.String(length=200), nullable=False)
