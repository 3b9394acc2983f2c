"""Alembic environment: the URL comes from the app's settings (or the caller's connection)."""

from alembic import context
from sqlalchemy import Connection

import database.models  # noqa: F401  (registers every table on the metadata)
from database.engine import Base, DatabaseSettings, engine_for


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connectable = context.config.attributes.get("connection")
if connectable is not None:
    run(connectable)
else:
    with engine_for(DatabaseSettings().database_url).connect() as connection:
        run(connection)
        connection.commit()
