"""delivery log

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

import database.engine

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivery",
        sa.Column("idempotency_key", sa.String(length=600), nullable=False),
        sa.Column("case_id", sa.String(length=200), nullable=False),
        sa.Column("milestone", sa.String(length=100), nullable=False),
        sa.Column("instance", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("handler", sa.String(length=63), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("due_at", database.engine.UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_attempt_at", database.engine.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", database.engine.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", database.engine.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("idempotency_key", name=op.f("pk_delivery")),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_case_id"))

    op.drop_table("delivery")
