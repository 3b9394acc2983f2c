"""Reads and writes of the configuration: milestone types, business hours, entitlement processes
and their versions, API keys. Every function takes keyword-only arguments and a session, commits
its own writes, and raises `SlaError`s that say what to fix; none knows about HTTP or Temporal.

A process version is validated by building the contract's `EntitlementProcess` from it, so the
rules a case workflow relies on are checked by the very model the workflow runs.
"""

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from threading import Lock
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import ColumnElement, case, false, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from api.errors import ConflictError, InvalidFieldsError, InvalidInputError, Loc, NotFoundError
from api.models import (
    ApiKeyRecord,
    BusinessHoursRecord,
    EntitlementProcessRecord,
    MilestoneTypeRecord,
    ProcessVersionBusinessHoursRecord,
    ProcessVersionMilestoneTypeRecord,
    ProcessVersionRecord,
)
from api.schemas import (
    ApiKeyCreate,
    EntitlementProcessCreate,
    HolidayPublic,
    MilestoneTypeCreate,
    MilestoneTypeReorder,
    MilestoneTypeUpdate,
    ProcessVersionCreate,
    ProcessVersionPublic,
    Role,
    Scope,
)
from workflows.business_hours import BusinessHours
from workflows.contract import EntitlementProcess


def name_key(name: str) -> str:
    """What makes two names the same: case-insensitive, Unicode-aware."""
    return name.casefold()


def scope_key(scope: str, account_id: str | None, relationship_type: str | None) -> str:
    """The level of a milestone type, as the database computes `milestone_type.scope_key`."""
    return f"{scope}:{account_id or ''}:{relationship_type or ''}"


def _level_words(scope: str, account_id: str | None, relationship_type: str | None) -> str:
    if scope == "account":
        return f"account {account_id!r}"
    if scope == "relationship":
        return f"relationship type {relationship_type!r}"
    return "the global level"


def _commit(session: Session, conflict: str) -> None:
    """Commit, turning a unique-constraint race (two writers at once) into a 409."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ConflictError(conflict) from None


# ------------------------------------------------------------------------------ milestone types


def get_milestone_type(session: Session, *, type_id: int) -> MilestoneTypeRecord:
    record = session.get(MilestoneTypeRecord, type_id)
    if record is None:
        raise NotFoundError(f"milestone type {type_id} does not exist")
    return record


def list_milestone_types(
    session: Session,
    *,
    scope: Scope | None = None,
    account_id: str | None = None,
    relationship_type: str | None = None,
    active: bool | None = None,
) -> Sequence[MilestoneTypeRecord]:
    """The types of a level as its users see them: the level's own types in their order, then
    the global ones in theirs (Gainsight's rule). Without a level: every type, global first."""
    if account_id is not None and relationship_type is not None:
        raise InvalidInputError(
            "give account_id or relationship_type, not both", ("query", "relationship_type")
        )
    if account_id is not None and scope in (None, "account"):
        scope = "account"
    elif relationship_type is not None and scope in (None, "relationship"):
        scope = "relationship"
    elif account_id is not None or relationship_type is not None:
        field = "account_id" if account_id is not None else "relationship_type"
        raise InvalidInputError(f"scope {scope!r} takes no {field}", ("query", field))
    query = select(MilestoneTypeRecord)
    if active is not None:
        query = query.where(MilestoneTypeRecord.active == active)
    is_global = MilestoneTypeRecord.scope == "global"
    if scope is not None and (account_id is not None or relationship_type is not None):
        level: ColumnElement[bool] = MilestoneTypeRecord.scope_key == scope_key(
            scope, account_id, relationship_type
        )
        query = query.where(level | is_global).order_by(is_global)
    elif scope is not None:
        query = query.where(MilestoneTypeRecord.scope == scope)
    else:
        query = query.order_by(
            case({"global": 0, "account": 1}, value=MilestoneTypeRecord.scope, else_=2)
        )
    query = query.order_by(
        MilestoneTypeRecord.account_id,
        MilestoneTypeRecord.relationship_type,
        MilestoneTypeRecord.position,
        MilestoneTypeRecord.id,
    )
    return session.scalars(query).all()


def _name_taken(key: str, scope: str, account_id: str | None, relationship_type: str | None) -> str:
    return (
        f"a milestone type named {key!r} already exists at "
        f"{_level_words(scope, account_id, relationship_type)}: names are unique "
        "case-insensitively within a level"
    )


def create_milestone_type(session: Session, *, body: MilestoneTypeCreate) -> MilestoneTypeRecord:
    level = scope_key(body.scope, body.account_id, body.relationship_type)
    key = name_key(body.name)
    taken = _name_taken(body.name, body.scope, body.account_id, body.relationship_type)
    if session.scalar(
        select(MilestoneTypeRecord.id).where(
            MilestoneTypeRecord.scope_key == level, MilestoneTypeRecord.name_key == key
        )
    ):
        raise ConflictError(taken)
    last = session.scalar(
        select(func.max(MilestoneTypeRecord.position)).where(MilestoneTypeRecord.scope_key == level)
    )
    record = MilestoneTypeRecord(
        name=body.name,
        name_key=key,
        description=body.description,
        color=body.color,
        active=body.active,
        scope=body.scope,
        account_id=body.account_id,
        relationship_type=body.relationship_type,
        position=(last or 0) + 1,
        reporting_category=body.reporting_category,
        recurrence=body.recurrence,
    )
    session.add(record)
    _commit(session, taken)
    return record


def update_milestone_type(
    session: Session, *, type_id: int, changes: MilestoneTypeUpdate
) -> MilestoneTypeRecord:
    record = get_milestone_type(session, type_id=type_id)
    given = changes.model_dump(exclude_unset=True)
    taken = _name_taken(
        given.get("name", record.name), record.scope, record.account_id, record.relationship_type
    )
    if "name" in given and name_key(given["name"]) != record.name_key:
        clash = session.scalar(
            select(MilestoneTypeRecord.id).where(
                MilestoneTypeRecord.scope_key == record.scope_key,
                MilestoneTypeRecord.name_key == name_key(given["name"]),
            )
        )
        if clash is not None:
            raise ConflictError(taken)
        record.name_key = name_key(given["name"])
    for field, value in given.items():
        setattr(record, field, value)
    _commit(session, taken)
    return record


def delete_milestone_type(session: Session, *, type_id: int) -> None:
    record = get_milestone_type(session, type_id=type_id)
    used = _first_version_using(
        session, ProcessVersionMilestoneTypeRecord.milestone_type_id, type_id
    )
    if used is not None:
        raise ConflictError(
            f"milestone type {record.name!r} is used by published process {used[0]!r} version "
            f'{used[1]}: deactivate it instead (PATCH {{"active": false}})'
        )
    session.delete(record)
    _commit(session, f"milestone type {record.name!r} was just put to use: deactivate it instead")


def reorder_milestone_types(
    session: Session, *, body: MilestoneTypeReorder
) -> Sequence[MilestoneTypeRecord]:
    """Give one level's own types the order of `body.ids`; other levels keep theirs."""
    level = scope_key(body.scope, body.account_id, body.relationship_type)
    here = _level_words(body.scope, body.account_id, body.relationship_type)
    found = {
        record.id: record
        for record in session.scalars(
            select(MilestoneTypeRecord).where(MilestoneTypeRecord.id.in_(set(body.ids)))
        )
    }
    problems: list[tuple[Loc, str]] = []
    seen: set[int] = set()
    for n, type_id in enumerate(body.ids):
        loc: Loc = ("body", "ids", n)
        record = found.get(type_id)
        if type_id in seen:
            problems.append((loc, f"milestone type {type_id} is listed twice"))
        elif record is None:
            problems.append((loc, f"milestone type {type_id} does not exist"))
        elif record.scope_key != level and record.scope == "global":
            problems.append(
                (
                    loc,
                    f"milestone type {type_id} ({record.name!r}) is global: global types keep "
                    "their own order after the local ones; reorder them with scope 'global'",
                )
            )
        elif record.scope_key != level:
            there = _level_words(record.scope, record.account_id, record.relationship_type)
            problems.append(
                (loc, f"milestone type {type_id} ({record.name!r}) belongs to {there}, not {here}")
            )
        seen.add(type_id)
    members = session.scalars(
        select(MilestoneTypeRecord)
        .where(MilestoneTypeRecord.scope_key == level)
        .order_by(MilestoneTypeRecord.position, MilestoneTypeRecord.id)
    ).all()
    missing = [record for record in members if record.id not in seen]
    if missing:
        listed = ", ".join(f"{record.id} ({record.name!r})" for record in missing)
        problems.append(
            (("body", "ids"), f"list every type of {here}, each once: missing {listed}")
        )
    if problems:
        raise InvalidFieldsError(problems)
    for position, type_id in enumerate(body.ids, start=1):
        found[type_id].position = position
    session.commit()
    return list_milestone_types(
        session,
        scope=body.scope,
        account_id=body.account_id,
        relationship_type=body.relationship_type,
    )


# ------------------------------------------------------------------------------ business hours


def business_hours_of(record: BusinessHoursRecord) -> BusinessHours:
    return BusinessHours.model_validate_json(record.definition)


def get_business_hours(session: Session, *, hours_id: int) -> BusinessHoursRecord:
    record = session.get(BusinessHoursRecord, hours_id)
    if record is None:
        raise NotFoundError(f"business hours {hours_id} do not exist")
    return record


def list_business_hours(session: Session) -> Sequence[BusinessHoursRecord]:
    return session.scalars(select(BusinessHoursRecord).order_by(BusinessHoursRecord.name_key)).all()


def _calendar_name_taken(name: str) -> str:
    return (
        f"business hours named {name!r} already exist: names are unique case-insensitively, "
        "since processes refer to calendars by name"
    )


def _first_version_using(
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


def create_business_hours(session: Session, *, hours: BusinessHours) -> BusinessHoursRecord:
    key = name_key(hours.name)
    if session.scalar(select(BusinessHoursRecord.id).where(BusinessHoursRecord.name_key == key)):
        raise ConflictError(_calendar_name_taken(hours.name))
    record = BusinessHoursRecord(name=hours.name, name_key=key, definition=hours.model_dump_json())
    session.add(record)
    _commit(session, _calendar_name_taken(hours.name))
    return record


def replace_business_hours(
    session: Session, *, hours_id: int, hours: BusinessHours
) -> BusinessHoursRecord:
    """New hours for a calendar: cases started from now on pin them; running cases keep theirs."""
    record = get_business_hours(session, hours_id=hours_id)
    key = name_key(hours.name)
    if key != record.name_key:
        used = _first_version_using(
            session, ProcessVersionBusinessHoursRecord.business_hours_id, hours_id
        )
        if used is not None:
            raise ConflictError(
                f"business hours {record.name!r} are named by published process {used[0]!r} "
                f"version {used[1]}: keep the name (processes refer to calendars by name), or "
                "create a calendar under the new name"
            )
        clash = select(BusinessHoursRecord.id).where(BusinessHoursRecord.name_key == key)
        if session.scalar(clash) is not None:
            raise ConflictError(_calendar_name_taken(hours.name))
    record.name, record.name_key = hours.name, key
    record.definition = hours.model_dump_json()
    _commit(session, _calendar_name_taken(hours.name))
    return record


def delete_business_hours(session: Session, *, hours_id: int) -> None:
    record = get_business_hours(session, hours_id=hours_id)
    used = _first_version_using(
        session, ProcessVersionBusinessHoursRecord.business_hours_id, hours_id
    )
    if used is not None:
        raise ConflictError(
            f"business hours {record.name!r} are named by published process {used[0]!r} "
            f"version {used[1]}: they cannot be deleted"
        )
    session.delete(record)
    _commit(session, f"business hours {record.name!r} were just put to use: they stay")


def calendars_named(session: Session, names: Iterable[str]) -> dict[str, BusinessHoursRecord]:
    """Stored calendars by the casefolded names asked for (the ones that exist)."""
    keys = {name_key(name) for name in names}
    if not keys:
        return {}
    records = session.scalars(
        select(BusinessHoursRecord).where(BusinessHoursRecord.name_key.in_(keys))
    )
    return {record.name_key: record for record in records}


def holidays_in(hours: BusinessHours, year: int) -> list[HolidayPublic]:
    """A year's holidays: the explicit ones, then the country's public ones on other dates."""
    explicit = {
        holiday.date: HolidayPublic(
            date=holiday.date, name=holiday.name, open=holiday.open, source="explicit"
        )
        for holiday in hours.holidays
        if holiday.date.year == year
    }
    public = {
        day: HolidayPublic(date=day, name=name, open=None, source="public")
        for day, name in hours.public_holidays(year, year).items()
        if day not in explicit
    }
    merged: dict[date, HolidayPublic] = {**public, **explicit}
    return [merged[day] for day in sorted(merged)]


# ------------------------------------------------------------------------ entitlement processes


class VersionCache:
    """Published versions by (process id, version). Safe to keep for the app's life: a version
    is immutable and its id pair is never reused while its row exists."""

    def __init__(self, size: int = 2048) -> None:
        self._versions: dict[tuple[int, int], ProcessVersionPublic] = {}
        self._size = size
        self._lock = Lock()

    def get(self, key: tuple[int, int]) -> ProcessVersionPublic | None:
        return self._versions.get(key)

    def put(self, version: ProcessVersionPublic) -> None:
        with self._lock:
            if len(self._versions) >= self._size:
                self._versions.pop(next(iter(self._versions)))
            self._versions[(version.process_id, version.version)] = version


def _published(
    record: ProcessVersionRecord, process: str, cache: VersionCache | None
) -> ProcessVersionPublic:
    key = (record.process_id, record.version)
    cached = cache.get(key) if cache is not None else None
    if cached is not None:
        return cached
    version = ProcessVersionPublic(
        process_id=record.process_id,
        process=process,
        version=record.version,
        notes=record.notes,
        created_at=record.created_at,
        definition=EntitlementProcess.model_validate_json(record.definition),
    )
    if cache is not None:
        cache.put(version)
    return version


def get_process(session: Session, *, process_id: int) -> EntitlementProcessRecord:
    record = session.get(EntitlementProcessRecord, process_id)
    if record is None:
        raise NotFoundError(f"entitlement process {process_id} does not exist")
    return record


def process_named(session: Session, *, name: str) -> EntitlementProcessRecord | None:
    return session.scalar(
        select(EntitlementProcessRecord).where(EntitlementProcessRecord.name_key == name_key(name))
    )


def list_processes(session: Session) -> Sequence[EntitlementProcessRecord]:
    return session.scalars(
        select(EntitlementProcessRecord).order_by(EntitlementProcessRecord.name_key)
    ).all()


def get_version(
    session: Session,
    *,
    process: EntitlementProcessRecord,
    version: int,
    cache: VersionCache | None = None,
) -> ProcessVersionPublic:
    cached = cache.get((process.id, version)) if cache is not None else None
    if cached is not None:
        return cached
    record = session.scalar(
        select(ProcessVersionRecord).where(
            ProcessVersionRecord.process_id == process.id, ProcessVersionRecord.version == version
        )
    )
    if record is None:
        raise NotFoundError(
            f"process {process.name!r} has no version {version}: its latest is "
            f"{process.latest_version}"
        )
    return _published(record, process.name, cache)


def list_versions(
    session: Session, *, process: EntitlementProcessRecord, cache: VersionCache | None = None
) -> list[ProcessVersionPublic]:
    records = session.scalars(
        select(ProcessVersionRecord)
        .where(ProcessVersionRecord.process_id == process.id)
        .order_by(ProcessVersionRecord.version)
    )
    return [_published(record, process.name, cache) for record in records]


def latest_versions(
    session: Session, *, processes: Sequence[EntitlementProcessRecord], cache: VersionCache
) -> dict[int, ProcessVersionPublic]:
    """The latest version of each process, reading only those not cached yet."""
    found = {
        process.id: cached
        for process in processes
        if (cached := cache.get((process.id, process.latest_version))) is not None
    }
    wanted = {process.id: process.name for process in processes if process.id not in found}
    if wanted:
        records = session.scalars(
            select(ProcessVersionRecord)
            .join(
                EntitlementProcessRecord,
                (EntitlementProcessRecord.id == ProcessVersionRecord.process_id)
                & (EntitlementProcessRecord.latest_version == ProcessVersionRecord.version),
            )
            .where(ProcessVersionRecord.process_id.in_(list(wanted)))
        )
        for record in records:
            found[record.process_id] = _published(record, wanted[record.process_id], cache)
    return found


@dataclass(frozen=True)
class _Definition:
    process: EntitlementProcess
    type_ids: set[int]
    calendar_ids: set[int]


def _resolve_definition(
    session: Session,
    *,
    process: EntitlementProcessRecord,
    version: int,
    body: ProcessVersionCreate,
) -> _Definition:
    """The contract's `EntitlementProcess` for a new version, with each milestone type (by name,
    at the process's level first, then global) and each calendar (by name) resolved; every
    problem is reported against the field it comes from."""
    problems: list[tuple[Loc, str]] = []
    level = (
        scope_key("account", process.account_id, None)
        if process.account_id is not None
        else scope_key("relationship", None, process.relationship_type)
        if process.relationship_type is not None
        else None
    )
    wanted = {name_key(m.milestone_type) for m in body.milestones}
    candidates = session.scalars(
        select(MilestoneTypeRecord).where(
            MilestoneTypeRecord.name_key.in_(wanted),
            (MilestoneTypeRecord.scope == "global")
            | (MilestoneTypeRecord.scope_key == level if level is not None else false()),
        )
    ).all()
    types: dict[str, MilestoneTypeRecord] = {}
    for record in sorted(candidates, key=lambda r: r.scope == "global", reverse=True):
        types[record.name_key] = record  # the level's own type overrides a global namesake
    calendar_names = [body.business_hours] + [m.business_hours for m in body.milestones]
    calendars = calendars_named(session, [name for name in calendar_names if name is not None])
    known_calendars = ", ".join(repr(c.name) for c in list_business_hours(session)) or "none yet"

    def calendar(name: str | None, loc: Loc) -> str | None:
        if name is None:
            return None
        record = calendars.get(name_key(name))
        if record is None:
            problems.append(
                (
                    loc,
                    f"unknown business hours {name!r}: create them under /business-hours first "
                    f"(known: {known_calendars})",
                )
            )
            return name
        return record.name

    where = (
        f"for account {process.account_id!r} or globally"
        if process.account_id is not None
        else f"for relationship type {process.relationship_type!r} or globally"
        if process.relationship_type is not None
        else "among the global milestone types"
    )
    milestones: list[dict[str, Any]] = []
    for n, milestone in enumerate(body.milestones):
        loc: Loc = ("body", "milestones", n, "milestone_type")
        found_type = types.get(name_key(milestone.milestone_type))
        if found_type is None:
            problems.append(
                (
                    loc,
                    f"unknown milestone type {milestone.milestone_type!r} {where}: create it "
                    "under /milestone-types first",
                )
            )
        elif not found_type.active:
            problems.append(
                (
                    loc,
                    f"milestone type {found_type.name!r} is inactive: activate it (PATCH "
                    f'/milestone-types/{found_type.id} {{"active": true}}) or choose another',
                )
            )
        entry = milestone.model_dump(exclude={"milestone_type"}, exclude_unset=True)
        entry["business_hours"] = calendar(
            milestone.business_hours, ("body", "milestones", n, "business_hours")
        )
        entry["name"] = found_type.name if found_type is not None else milestone.milestone_type
        if found_type is not None:
            entry["color"] = found_type.color
            entry["recurrence"] = found_type.recurrence
            entry["reporting_category"] = found_type.reporting_category
        milestones.append(entry)
    definition = body.model_dump(
        include={"pause_when", "max_pause", "exit_when"}, exclude_unset=True
    )
    definition.update(
        name=process.name,
        version=version,
        description=process.description,
        business_hours=calendar(body.business_hours, ("body", "business_hours")),
        milestones=milestones,
    )
    try:
        snapshot = EntitlementProcess.model_validate(definition)
    except ValidationError as error:
        for problem in error.errors(include_url=False):
            at = list(problem["loc"])
            if len(at) >= 3 and at[0] == "milestones" and at[2] == "name":
                at[2] = "milestone_type"
            problems.append(((("body", *at)), problem["msg"]))
        snapshot = None
    if problems or snapshot is None:
        raise InvalidFieldsError(problems)
    return _Definition(
        process=snapshot,
        type_ids={types[name_key(m.milestone_type)].id for m in body.milestones},
        calendar_ids={calendars[name_key(name)].id for name in snapshot.calendar_names()},
    )


def _insert_version(
    session: Session, *, process: EntitlementProcessRecord, definition: _Definition, notes: str
) -> ProcessVersionRecord:
    record = ProcessVersionRecord(
        process_id=process.id,
        version=definition.process.version,
        definition=definition.process.model_dump_json(),
        notes=notes,
    )
    session.add(record)
    session.flush()
    session.add_all(
        [
            ProcessVersionMilestoneTypeRecord(version_id=record.id, milestone_type_id=type_id)
            for type_id in sorted(definition.type_ids)
        ]
        + [
            ProcessVersionBusinessHoursRecord(version_id=record.id, business_hours_id=hours_id)
            for hours_id in sorted(definition.calendar_ids)
        ]
    )
    return record


def create_process(
    session: Session, *, body: EntitlementProcessCreate
) -> tuple[EntitlementProcessRecord, ProcessVersionRecord]:
    taken = f"an entitlement process named {body.name!r} already exists: publish a new version"
    if process_named(session, name=body.name) is not None:
        raise ConflictError(taken)
    process = EntitlementProcessRecord(
        name=body.name,
        name_key=name_key(body.name),
        description=body.description,
        account_id=body.account_id,
        relationship_type=body.relationship_type,
        latest_version=1,
    )
    definition = _resolve_definition(session, process=process, version=1, body=body)
    session.add(process)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ConflictError(taken) from None
    version = _insert_version(session, process=process, definition=definition, notes=body.notes)
    _commit(session, taken)
    return process, version


def publish_version(
    session: Session, *, process_id: int, body: ProcessVersionCreate
) -> tuple[EntitlementProcessRecord, ProcessVersionRecord]:
    """Publish the next version; published versions never change."""
    process = session.scalar(
        select(EntitlementProcessRecord)
        .where(EntitlementProcessRecord.id == process_id)
        .with_for_update()  # serialises version numbers on PostgreSQL
    )
    if process is None:
        raise NotFoundError(f"entitlement process {process_id} does not exist")
    number = process.latest_version + 1
    definition = _resolve_definition(session, process=process, version=number, body=body)
    version = _insert_version(session, process=process, definition=definition, notes=body.notes)
    process.latest_version = number
    _commit(session, f"another version of {process.name!r} was published at the same time: retry")
    return process, version


# ---------------------------------------------------------------------------------------- keys


def hash_key(key: str) -> str:
    """SHA-256 suffices: keys are 256-bit random, so there is nothing to brute-force."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(session: Session, *, body: ApiKeyCreate) -> tuple[ApiKeyRecord, str]:
    key = "sla_" + secrets.token_urlsafe(32)
    record = ApiKeyRecord(name=body.name, prefix=key[:12], key_hash=hash_key(key), roles=body.roles)
    session.add(record)
    session.commit()
    return record, key


def list_api_keys(session: Session) -> Sequence[ApiKeyRecord]:
    return session.scalars(select(ApiKeyRecord).order_by(ApiKeyRecord.id)).all()


def delete_api_key(session: Session, *, key_id: int) -> ApiKeyRecord:
    record = session.get(ApiKeyRecord, key_id)
    if record is None:
        raise NotFoundError(f"API key {key_id} does not exist")
    session.delete(record)
    session.commit()
    return record


def roles_of_key(session: Session, *, key_hash: str) -> tuple[int, str, list[Role]] | None:
    row = session.execute(
        select(ApiKeyRecord.id, ApiKeyRecord.name, ApiKeyRecord.roles).where(
            ApiKeyRecord.key_hash == key_hash
        )
    ).first()
    return None if row is None else (row[0], row[1], cast(list[Role], list(row[2])))
