"""An entitlement's allowance under concurrent starts (`api.crud.entitlements.cover_case`, what
`POST /cases` calls before it starts the workflow), on the database under test with real
transactions from many threads at once: SQLite here, PostgreSQL with `SLA_TEST_DATABASE_URL`.

These tests commit (a race needs separate transactions), so they make and delete their own rows.
"""

import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from api.crud.entitlements import Coverage, cover_case
from database.engine import session_factory
from database.models import EntitlementCaseRecord, EntitlementProcessRecord, EntitlementRecord

STARTS = 20


@pytest.fixture
def sessions(database_url: str) -> sessionmaker[Session]:
    return session_factory(database_url)


@pytest.fixture
def process_id(sessions: sessionmaker[Session]) -> Iterator[int]:
    """A process for the entitlements to name; everything made on it is deleted after."""
    name = f"Race {uuid.uuid4().hex[:8]}"
    with sessions() as session:
        process = EntitlementProcessRecord(name=name, name_key=name.casefold())
        session.add(process)
        session.commit()
        made = process.id
    yield made
    with sessions() as session:
        ids = select(EntitlementRecord.id).where(EntitlementRecord.process_id == made)
        session.execute(
            delete(EntitlementCaseRecord).where(EntitlementCaseRecord.entitlement_id.in_(ids))
        )
        session.execute(delete(EntitlementRecord).where(EntitlementRecord.process_id == made))
        session.execute(delete(EntitlementProcessRecord).where(EntitlementProcessRecord.id == made))
        session.commit()


def entitlement(
    sessions: sessionmaker[Session], process_id: int, *, allowed: int, used: int, on_exhausted: str
) -> int:
    with sessions() as session:
        record = EntitlementRecord(
            name="Incidents",
            name_key="incidents",
            account_id=f"ACME-{uuid.uuid4().hex[:8]}",
            process_id=process_id,
            cases_allowed=allowed,
            cases_used=used,
            on_exhausted=on_exhausted,
        )
        session.add(record)
        session.commit()
        return record.id


def at_once(
    sessions: sessionmaker[Session], entitlement_id: int, case_ids: list[str]
) -> Counter[str]:
    """Cover each case from its own thread and transaction, all released together."""
    barrier = threading.Barrier(len(case_ids))

    def cover(case_id: str) -> Coverage:
        barrier.wait()
        with sessions() as session:
            return cover_case(session, entitlement_id=entitlement_id, case_id=case_id)

    with ThreadPoolExecutor(len(case_ids)) as pool:
        return Counter(pool.map(cover, case_ids))


def used_and_rows(sessions: sessionmaker[Session], entitlement_id: int) -> tuple[int, int, int]:
    with sessions() as session:
        used = session.get_one(EntitlementRecord, entitlement_id).cases_used
        rows = select(EntitlementCaseRecord.counted, func.count()).where(
            EntitlementCaseRecord.entitlement_id == entitlement_id
        )
        grouped = session.execute(rows.group_by(EntitlementCaseRecord.counted))
        by_counted = {bool(counted): count for counted, count in grouped}
    return used, by_counted.get(True, 0), by_counted.get(False, 0)


def case_ids(n: int) -> list[str]:
    run = uuid.uuid4().hex[:8]
    return [f"RACE-{run}-{i}" for i in range(n)]


def test_twenty_concurrent_starts_against_ten_remaining_take_exactly_ten(
    sessions: sessionmaker[Session], process_id: int
) -> None:
    refusing = entitlement(sessions, process_id, allowed=12, used=2, on_exhausted="refuse")
    assert at_once(sessions, refusing, case_ids(STARTS)) == {"counted": 10, "refused": 10}
    assert used_and_rows(sessions, refusing) == (12, 10, 0)

    flagging = entitlement(sessions, process_id, allowed=12, used=2, on_exhausted="flag")
    assert at_once(sessions, flagging, case_ids(STARTS)) == {"counted": 10, "over_allowance": 10}
    assert used_and_rows(sessions, flagging) == (12, 10, 10)


def test_the_same_case_started_many_times_at_once_counts_once(
    sessions: sessionmaker[Session], process_id: int
) -> None:
    plenty = entitlement(sessions, process_id, allowed=100, used=0, on_exhausted="refuse")
    same = case_ids(1) * 8
    assert at_once(sessions, plenty, same) == {"counted": 8}
    assert used_and_rows(sessions, plenty) == (1, 1, 0)
    # Retried later, one by one, it still counts once.
    assert at_once(sessions, plenty, same[:1]) == {"counted": 1}
    assert used_and_rows(sessions, plenty) == (1, 1, 0)
