"""Queries of the console's signed-in sessions: opened at sign-in, read on every console
request, ended at sign-out. A session is kept by the SHA-256 of its id, never the id."""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from database.models import ConsoleSessionRecord


def open_session(
    session: Session, *, id_hash: str, key_hash: str, expires_at: datetime, now: datetime
) -> None:
    """Keep a new session, and drop the ones that expired (nothing else ever reads them)."""
    session.execute(delete(ConsoleSessionRecord).where(ConsoleSessionRecord.expires_at <= now))
    session.add(ConsoleSessionRecord(id_hash=id_hash, key_hash=key_hash, expires_at=expires_at))
    session.commit()


def key_of_session(session: Session, *, id_hash: str, now: datetime) -> str | None:
    """The hash of the key a live session was opened with; None once it ended or expired."""
    return session.scalar(
        select(ConsoleSessionRecord.key_hash).where(
            ConsoleSessionRecord.id_hash == id_hash, ConsoleSessionRecord.expires_at > now
        )
    )


def end_session(session: Session, *, id_hash: str) -> None:
    session.execute(delete(ConsoleSessionRecord).where(ConsoleSessionRecord.id_hash == id_hash))
    session.commit()
