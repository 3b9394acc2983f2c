"""Upgrades the config database to the newest schema (the app does it on start)."""

from pathlib import Path

from alembic import command
from alembic.config import Config

from api.db import engine_for

ALEMBIC_INI = Path(__file__).parent.parent / "alembic.ini"


def upgrade(database_url: str) -> None:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(Path(__file__).parent / "alembic"))
    with engine_for(database_url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
