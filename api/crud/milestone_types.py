"""Queries of the milestone type catalog: per level (global, an account, a relationship type),
names unique case-insensitively within a level, each level in its own order."""

from collections.abc import Sequence

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from api.crud.shared import commit, first_version_using, level_words, name_key, scope_key
from api.errors import ConflictError, InvalidFieldsError, InvalidInputError, Loc, NotFoundError
from api.schemas import MilestoneTypeCreate, MilestoneTypeReorder, MilestoneTypeUpdate, Scope
from database.models import MilestoneTypeRecord, ProcessVersionMilestoneTypeRecord


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
        f"{level_words(scope, account_id, relationship_type)}: names are unique "
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
    commit(session, taken)
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
    commit(session, taken)
    return record


def delete_milestone_type(session: Session, *, type_id: int) -> None:
    record = get_milestone_type(session, type_id=type_id)
    used = first_version_using(
        session, ProcessVersionMilestoneTypeRecord.milestone_type_id, type_id
    )
    if used is not None:
        raise ConflictError(
            f"milestone type {record.name!r} is used by published process {used[0]!r} version "
            f'{used[1]}: deactivate it instead (PATCH {{"active": false}})'
        )
    session.delete(record)
    commit(session, f"milestone type {record.name!r} was just put to use: deactivate it instead")


def reorder_milestone_types(
    session: Session, *, body: MilestoneTypeReorder
) -> Sequence[MilestoneTypeRecord]:
    """Give one level's own types the order of `body.ids`; other levels keep theirs."""
    level = scope_key(body.scope, body.account_id, body.relationship_type)
    here = level_words(body.scope, body.account_id, body.relationship_type)
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
            there = level_words(record.scope, record.account_id, record.relationship_type)
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
