"""configuration: milestone types, business hours, processes, api keys

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import database.engine

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("created_at", database.engine.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_key_key_hash")),
    )
    op.create_table(
        "business_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=800), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("created_at", database.engine.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", database.engine.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_hours")),
        sa.UniqueConstraint("name_key", name=op.f("uq_business_hours_name_key")),
    )
    op.create_table(
        "entitlement_process",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=True),
        sa.Column("relationship_type", sa.String(length=200), nullable=True),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("created_at", database.engine.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", database.engine.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entitlement_process")),
        sa.UniqueConstraint("name_key", name=op.f("uq_entitlement_process_name_key")),
    )
    op.create_table(
        "milestone_type",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("color", sa.String(length=7), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=True),
        sa.Column("relationship_type", sa.String(length=200), nullable=True),
        sa.Column(
            "scope_key",
            sa.String(length=420),
            sa.Computed(
                "scope || ':' || coalesce(account_id, '') || ':' "
                "|| coalesce(relationship_type, '')",
                persisted=True,
            ),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("reporting_category", sa.String(length=100), nullable=True),
        sa.Column("recurrence", sa.String(length=20), nullable=False),
        sa.Column("created_at", database.engine.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", database.engine.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(scope = 'global' AND account_id IS NULL AND relationship_type IS NULL)"
            " OR (scope = 'account' AND account_id IS NOT NULL AND relationship_type IS NULL)"
            " OR (scope = 'relationship' AND account_id IS NULL"
            " AND relationship_type IS NOT NULL)",
            name=op.f("ck_milestone_type_level"),
        ),
        sa.CheckConstraint(
            "recurrence IN ('none', 'independent', 'sequential')",
            name=op.f("ck_milestone_type_recurrence"),
        ),
        sa.CheckConstraint(
            "scope IN ('global', 'account', 'relationship')", name=op.f("ck_milestone_type_scope")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestone_type")),
        sa.UniqueConstraint("scope_key", "name_key", name="uq_milestone_type_scope_key_name_key"),
    )
    with op.batch_alter_table("milestone_type", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_milestone_type_scope_key"), ["scope_key"], unique=False
        )

    op.create_table(
        "process_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", database.engine.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["entitlement_process.id"],
            name=op.f("fk_process_version_process_id_entitlement_process"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_version")),
        sa.UniqueConstraint("process_id", "version", name=op.f("uq_process_version_process_id")),
    )
    with op.batch_alter_table("process_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_process_version_process_id"), ["process_id"], unique=False
        )

    op.create_table(
        "process_version_business_hours",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("business_hours_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_hours_id"],
            ["business_hours.id"],
            name=op.f("fk_process_version_business_hours_business_hours_id_business_hours"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["process_version.id"],
            name=op.f("fk_process_version_business_hours_version_id_process_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "version_id", "business_hours_id", name=op.f("pk_process_version_business_hours")
        ),
    )
    with op.batch_alter_table("process_version_business_hours", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_process_version_business_hours_business_hours_id"),
            ["business_hours_id"],
            unique=False,
        )

    op.create_table(
        "process_version_milestone_type",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("milestone_type_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["milestone_type_id"],
            ["milestone_type.id"],
            name=op.f("fk_process_version_milestone_type_milestone_type_id_milestone_type"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["process_version.id"],
            name=op.f("fk_process_version_milestone_type_version_id_process_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "version_id", "milestone_type_id", name=op.f("pk_process_version_milestone_type")
        ),
    )
    with op.batch_alter_table("process_version_milestone_type", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_process_version_milestone_type_milestone_type_id"),
            ["milestone_type_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("process_version_milestone_type", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_version_milestone_type_milestone_type_id"))

    op.drop_table("process_version_milestone_type")
    with op.batch_alter_table("process_version_business_hours", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_version_business_hours_business_hours_id"))

    op.drop_table("process_version_business_hours")
    with op.batch_alter_table("process_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_version_process_id"))

    op.drop_table("process_version")
    with op.batch_alter_table("milestone_type", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_milestone_type_scope_key"))

    op.drop_table("milestone_type")
    op.drop_table("entitlement_process")
    op.drop_table("business_hours")
    op.drop_table("api_key")
