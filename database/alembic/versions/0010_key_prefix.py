"""key prefix: an API key's listing keeps its first 8 characters ("sla_" and 4 random ones), not
12; stored prefixes are cut to 8

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE api_key SET prefix = substr(prefix, 1, 8)")
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.alter_column(
            "prefix", existing_type=sa.String(length=12), type_=sa.String(length=8)
        )


def downgrade() -> None:
    # The characters cut are gone: the prefixes stay 8 characters long.
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.alter_column(
            "prefix", existing_type=sa.String(length=8), type_=sa.String(length=12)
        )
