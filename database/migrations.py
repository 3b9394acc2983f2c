"""Upgrades the config database to the newest schema (the app does it on start), or downgrades
it (tests run every migration both ways)."""

from pathlib import Path

from alembic import command
from alembic.config import Config

from database.engine import engine_for

ALEMBIC_INI = Path(__file__).parent.parent / "alembic.ini"


def _config() -> Config:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(Path(__file__).parent / "alembic"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    config = _config()
    with engine_for(database_url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(database_url: str, revision: str) -> None:
    config = _config()
    with engine_for(database_url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
