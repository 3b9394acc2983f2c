"""The migrations build exactly the tables the models describe (`alembic check`), on the
database under test, and `alembic upgrade head` works from the command line."""

import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

import database.models  # noqa: F401  (registers every table)
from database.engine import Base

ROOT = Path(__file__).parent.parent.parent


def test_models_and_migrations_agree(connection: Connection) -> None:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    assert compare_metadata(context, Base.metadata) == []


def test_alembic_upgrade_head_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    alembic = Path(sys.executable).parent / "alembic"
    subprocess.run(
        [str(alembic), "upgrade", "head"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        capture_output=True,
    )
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    assert {
        "milestone_type",
        "business_hours",
        "entitlement_process",
        "api_key",
        "entitlement",
    } <= tables
