"""The migrations build exactly the tables the models describe (`alembic check`), on the
database under test, `alembic upgrade head` works from the command line, and what a migration
does to stored rows is checked on rows stored before it."""

import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, create_engine, inspect, text

import database.models  # noqa: F401  (registers every table)
from database.engine import Base
from database.migrations import upgrade

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


def test_stored_key_prefixes_are_cut_to_eight_characters(tmp_path: Path) -> None:
    """Keys stored before the listing kept fewer of their characters keep only those too."""
    url = f"sqlite:///{tmp_path / 'prefixes.sqlite'}"
    upgrade(url, "0009")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO api_key (name, prefix, key_hash, roles, created_at) "
                "VALUES ('crm', 'sla_abcdefgh', :hash, '[\"ops\"]', '2026-01-01 00:00:00')"
            ),
            {"hash": "0" * 64},
        )
    upgrade(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT prefix FROM api_key")).scalar_one() == "sla_abcd"
    engine.dispose()
