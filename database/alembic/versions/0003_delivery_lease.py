"""delivery lease: an attempt under way holds its key until its deadline

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import database.engine

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lease_until", database.engine.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
