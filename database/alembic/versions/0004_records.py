"""milestone and case records: what reports read, kept after Temporal's retention

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import database.engine

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_record",
        sa.Column("case_id", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=True),
        sa.Column("process", sa.String(length=100), nullable=False),
        sa.Column("process_version", sa.Integer(), nullable=False),
        sa.Column("opened_at", database.engine.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", database.engine.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sla_state", sa.String(length=20), nullable=False),
        sa.Column("breached", sa.Boolean(), nullable=False),
        sa.Column("as_of", database.engine.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_record")),
    )
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_record_account_opened", ["account_id", "opened_at"], unique=False
        )

    op.create_table(
        "milestone_record",
        sa.Column("case_id", sa.String(length=200), nullable=False),
        sa.Column("milestone", sa.String(length=100), nullable=False),
        sa.Column("instance", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=True),
        sa.Column("process", sa.String(length=100), nullable=False),
        sa.Column("process_version", sa.Integer(), nullable=False),
        sa.Column("reporting_category", sa.String(length=100), nullable=True),
        sa.Column("color", sa.String(length=7), nullable=False),
        sa.Column("priority_at_start", sa.String(length=100), nullable=True),
        sa.Column("priority_at_end", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("started_at", database.engine.UTCDateTime(timezone=True), nullable=False),
        sa.Column("target_at", database.engine.UTCDateTime(timezone=True), nullable=True),
        sa.Column("warned_at", database.engine.UTCDateTime(timezone=True), nullable=True),
        sa.Column("violated_at", database.engine.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", database.engine.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", database.engine.UTCDateTime(timezone=True), nullable=True),
        sa.Column("target_seconds", sa.Float(), nullable=False),
        sa.Column("business_elapsed_seconds", sa.Float(), nullable=False),
        sa.Column("stopped_seconds", sa.Float(), nullable=False),
        sa.Column("completed_late", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("resolved_at", database.engine.UTCDateTime(timezone=True), nullable=True),
        sa.Column("as_of", database.engine.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "case_id", "milestone", "instance", name=op.f("pk_milestone_record")
        ),
    )
    with op.batch_alter_table("milestone_record", schema=None) as batch_op:
        batch_op.create_index(
            "ix_milestone_record_account_started", ["account_id", "started_at"], unique=False
        )
        batch_op.create_index("ix_milestone_record_open", ["state", "target_at"], unique=False)
        batch_op.create_index("ix_milestone_record_resolved_at", ["resolved_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("milestone_record", schema=None) as batch_op:
        batch_op.drop_index("ix_milestone_record_resolved_at")
        batch_op.drop_index("ix_milestone_record_open")
        batch_op.drop_index("ix_milestone_record_account_started")

    op.drop_table("milestone_record")
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.drop_index("ix_case_record_account_opened")

    op.drop_table("case_record")
