"""entitlements: what an account bought (a process, business hours, dates, an allowance)

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

import database.engine

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entitlement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=400), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("business_hours_id", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("cases_allowed", sa.Integer(), nullable=True),
        sa.Column("cases_used", sa.Integer(), nullable=False),
        sa.Column("applies_when", sa.Text(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("on_exhausted", sa.String(length=20), nullable=False),
        sa.Column("created_at", database.engine.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", database.engine.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "cases_allowed IS NULL OR cases_allowed >= 1",
            name=op.f("ck_entitlement_cases_allowed"),
        ),
        sa.CheckConstraint("cases_used >= 0", name=op.f("ck_entitlement_cases_used")),
        sa.CheckConstraint(
            "starts_on IS NULL OR ends_on IS NULL OR starts_on <= ends_on",
            name=op.f("ck_entitlement_dates"),
        ),
        sa.CheckConstraint(
            "on_exhausted IN ('refuse', 'flag')", name=op.f("ck_entitlement_on_exhausted")
        ),
        sa.ForeignKeyConstraint(
            ["business_hours_id"],
            ["business_hours.id"],
            name=op.f("fk_entitlement_business_hours_id_business_hours"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["entitlement_process.id"],
            name=op.f("fk_entitlement_process_id_entitlement_process"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entitlement")),
        sa.UniqueConstraint("account_id", "name_key", name="uq_entitlement_account_id_name_key"),
    )
    with op.batch_alter_table("entitlement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_entitlement_business_hours_id"), ["business_hours_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_entitlement_process_id"), ["process_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("entitlement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entitlement_process_id"))
        batch_op.drop_index(batch_op.f("ix_entitlement_business_hours_id"))

    op.drop_table("entitlement")
