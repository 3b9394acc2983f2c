"""A process version as written (milestone types and calendars named, as in
`ProcessVersionCreate`) turned into the contract's `EntitlementProcess`: each milestone type
resolved at the process's level first, then globally, each calendar by name, and every rule
checked by the very model a case workflow runs, with each problem reported against the field it
comes from."""

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import false, select
from sqlalchemy.orm import Session

from activities.rules import refusal
from activities.settings import DestinationRules
from api.crud.business_hours import calendars_named, unknown_business_hours
from api.crud.shared import name_key, scope_key
from api.errors import InvalidFieldsError, Loc
from api.schemas import ProcessVersionCreate
from database.models import EntitlementProcessRecord, MilestoneTypeRecord
from workflows.contract import ACTION_HANDLERS, EntitlementProcess


@dataclass(frozen=True)
class ProcessDefinition:
    """A version's snapshot and the rows it refers to (which then cannot be deleted)."""

    process: EntitlementProcess
    type_ids: set[int]
    calendar_ids: set[int]


def resolve_definition(
    session: Session,
    *,
    process: EntitlementProcessRecord,
    version: int,
    body: ProcessVersionCreate,
    destinations: DestinationRules,
) -> ProcessDefinition:
    """The contract's `EntitlementProcess` for a new version, with each milestone type (by name,
    at the process's level first, then global) and each calendar (by name) resolved, and each
    action checked as its handler would check it when it runs (`activities.rules`); every
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

    def calendar(name: str | None, loc: Loc) -> str | None:
        if name is None:
            return None
        record = calendars.get(name_key(name))
        if record is None:
            problems.append((loc, unknown_business_hours(session, name)))
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
    if snapshot is not None:
        problems += _action_refusals(snapshot, destinations)
    if problems or snapshot is None:
        raise InvalidFieldsError(problems)
    return ProcessDefinition(
        process=snapshot,
        type_ids={types[name_key(m.milestone_type)].id for m in body.milestones},
        calendar_ids={calendars[name_key(name)].id for name in snapshot.calendar_names()},
    )


def _action_refusals(
    process: EntitlementProcess, destinations: DestinationRules
) -> list[tuple[Loc, str]]:
    """Each action the workers would refuse whenever it fell due, at its handler (none runs it)
    or its parameters, in the delivery's own words."""
    problems: list[tuple[Loc, str]] = []
    for n, milestone in enumerate(process.milestones):
        for kind, actions in milestone.actions:
            for i, action in enumerate(actions):
                reason = refusal(action, destinations)
                if reason is not None:
                    field = "params" if action.handler in ACTION_HANDLERS else "handler"
                    problems.append((("body", "milestones", n, "actions", kind, i, field), reason))
    return problems
