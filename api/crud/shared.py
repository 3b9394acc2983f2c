"""What the configuration queries of every resource share: the keys that make names and levels
equal, commits that turn a race between two writers into a 409, and which published process
version uses a row (a row in use cannot be deleted)."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from api.errors import ConflictError
from database.models import EntitlementProcessRecord, ProcessVersionRecord


def name_key(name: str) -> str:
    """What makes two names the same: case-insensitive, Unicode-aware."""
    return name.casefold()


def scope_key(scope: str, account_id: str | None, relationship_type: str | None) -> str:
    """The level of a milestone type, as the database computes `milestone_type.scope_key`."""
    return f"{scope}:{account_id or ''}:{relationship_type or ''}"


def level_words(scope: str, account_id: str | None, relationship_type: str | None) -> str:
    if scope == "account":
        return f"account {account_id!r}"
    if scope == "relationship":
        return f"relationship type {relationship_type!r}"
    return "the global level"


def commit(session: Session, conflict: str) -> None:
    """Commit, turning a unique-constraint race (two writers at once) into a 409."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ConflictError(conflict) from None


def first_version_using(
    session: Session, reference: InstrumentedAttribute[int], target_id: int
) -> tuple[str, int] | None:
    """The first published process version (by name, then version) whose link table
    `reference` (a type's or a calendar's id column) points at `target_id`."""
    link = reference.class_
    row = session.execute(
        select(EntitlementProcessRecord.name, ProcessVersionRecord.version)
        .join(ProcessVersionRecord, ProcessVersionRecord.process_id == EntitlementProcessRecord.id)
        .join(link, link.version_id == ProcessVersionRecord.id)
        .where(reference == target_id)
        .order_by(EntitlementProcessRecord.name, ProcessVersionRecord.version)
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1])
