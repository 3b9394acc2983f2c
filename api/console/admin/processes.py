"""The admin pages of entitlement processes: each process's versions, a version in words, and
the difference between two versions. The editor (a new process, a new version) is
`process_editor`, which shows its preview with this module's words and difference."""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.console.admin.forms import (
    CANNOT_VIEW,
    DbId,
    may_change,
    may_view,
    message,
    saved_notice,
)
from api.console.pages import Visit, page, signed_in
from api.crud import processes as processes_crud
from api.deps import DatabaseDep, Services, ServicesDep
from api.errors import SlaError
from api.schemas import (
    ProcessVersionPublic,
)
from workflows.contract import Condition, Criteria, EntitlementProcess, ProcessMilestone

router = APIRouter(prefix="/console/admin", include_in_schema=False)


def span(value: timedelta) -> str:
    """A duration in words' shorthand: `4h`, `1h 30m`, `2d 4h`, `0m`."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return " ".join(parts) or "0m"


OPERATOR_WORDS = {
    "eq": "is",
    "ne": "is not",
    "in": "is one of",
    "not_in": "is none of",
    "gt": "is above",
    "gte": "is at least",
    "lt": "is below",
    "lte": "is at most",
    "changed_to": "changes to",
}


def condition_words(condition: Condition) -> str:
    if condition.op == "exists":
        return f"{condition.field} {'is set' if condition.value is not False else 'is not set'}"
    value = (
        ", ".join(json.dumps(v) for v in condition.value)
        if isinstance(condition.value, list)
        else json.dumps(condition.value)
    )
    return f"{condition.field} {OPERATOR_WORDS[condition.op]} {value}"


def criteria_words(criteria: Criteria | None, empty: str = "always") -> str:
    """Criteria as a sentence: `priority is "High" and (any of: tier is "Gold")`."""
    if criteria is None or criteria.is_empty:
        return empty
    parts = [condition_words(c) for c in criteria.all]
    if criteria.any:
        parts.append("any of: " + " or ".join(condition_words(c) for c in criteria.any))
    if criteria.events:
        parts.append("on " + " or ".join(criteria.events))
    return " and ".join(parts)


def target_words(milestone: ProcessMilestone) -> list[str]:
    if isinstance(milestone.target, timedelta):
        return [span(milestone.target)]
    return [
        f"{span(rule.target)} when {criteria_words(rule.when, 'otherwise')}"
        for rule in milestone.target
    ]


def action_words(milestone: ProcessMilestone) -> list[str]:
    words = []
    for action in milestone.actions.success:
        words.append(f"on success: {action.handler}")
    for warning in milestone.actions.warning:
        when = (
            f"{span(warning.before_target)} before the target"
            if warning.before_target is not None
            else f"at {warning.at_percent:g}% of the target"
        )
        words.append(f"warning {when}: {warning.handler}")
    for violation in milestone.actions.violation:
        when = (
            f"{span(violation.after_target)} after the target"
            if violation.after_target
            else "at the target"
        )
        words.append(f"violation {when}: {violation.handler}")
    return [
        f"{text} {json.dumps(action.params, sort_keys=True)}" if action.params else text
        for text, action in zip(
            words,
            [*milestone.actions.success, *milestone.actions.warning, *milestone.actions.violation],
            strict=True,
        )
    ]


@router.get("/processes")
async def processes_page(request: Request, services: ServicesDep, db: DatabaseDep) -> Response:
    visit = await signed_in(request, services, may_view, CANNOT_VIEW)
    if not isinstance(visit, Visit):
        return visit

    def read(session: Session) -> list[tuple[Any, list[ProcessVersionPublic]]]:
        return [
            (
                record,
                processes_crud.list_versions(session, process=record, cache=services.versions),
            )
            for record in processes_crud.list_processes(session)
        ]

    processes = await db.run(read)
    return page(
        request,
        services,
        visit,
        "admin_processes.html",
        processes=processes,
        may_change=may_change(visit),
    )


async def _versions(
    db: DatabaseDep, services: Services, process_id: int, *numbers: int
) -> list[ProcessVersionPublic]:
    def read(session: Session) -> list[ProcessVersionPublic]:
        process = processes_crud.get_process(session, process_id=process_id)
        return [
            processes_crud.get_version(
                session, process=process, version=number, cache=services.versions
            )
            for number in numbers
        ]

    return await db.run(read)


@dataclass(frozen=True)
class MilestoneWords:
    """A process milestone in words, as a version's page lists it."""

    m: ProcessMilestone
    target: list[str]
    starts: str
    completes: str
    actions: list[str]


@dataclass(frozen=True)
class VersionWords:
    """A version's definition in words: the version page, and the editor's preview."""

    pauses: str
    longest_pause: str
    exits: str
    milestones: list[MilestoneWords]


def version_words(definition: EntitlementProcess) -> VersionWords:
    return VersionWords(
        pauses=criteria_words(definition.pause_when, "never"),
        longest_pause=span(definition.max_pause) if definition.max_pause else "no limit",
        exits=criteria_words(definition.exit_when, "never"),
        milestones=[
            MilestoneWords(
                m=m,
                target=target_words(m),
                starts=criteria_words(m.start_when, "when the case opens"),
                completes=criteria_words(m.complete_when, "when an agent completes it"),
                actions=action_words(m),
            )
            for m in definition.milestones
        ],
    )


# `:int` so that `/versions/new` (the editor's) is not read as a version number.
@router.get("/processes/{process_id}/versions/{version:int}")
async def version_page(
    request: Request, services: ServicesDep, db: DatabaseDep, process_id: DbId, version: DbId
) -> Response:
    visit = await signed_in(request, services, may_view, CANNOT_VIEW)
    if not isinstance(visit, Visit):
        return visit
    try:
        (found,) = await _versions(db, services, process_id, version)
    except SlaError as error:
        return message(request, services, visit, error, "Process version")
    return page(
        request,
        services,
        visit,
        "admin_version.html",
        version=found,
        definition=found.definition,
        words=version_words(found.definition),
        may_change=may_change(visit),
        published=saved_notice(request) == "created",
    )


@dataclass(frozen=True)
class Change:
    """One leaf of two definitions that differs: its path, and its value in each (None: not
    there)."""

    path: str
    before: str | None
    after: str | None


def _leaf_text(value: Any) -> str:
    if isinstance(value, timedelta):
        return span(value)
    if isinstance(value, date):
        return value.isoformat()
    return json.dumps(value, sort_keys=True, default=str)


def _leaves(value: Any, path: str = "") -> dict[str, str]:
    """Every leaf of a dumped model by its dotted path; a list by index, an empty container as
    a leaf of its own (so `[]` versus `[...]` shows)."""
    if isinstance(value, dict) and value:
        items: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, list) and value:
        items = enumerate(value)
    else:
        return {path: _leaf_text(value)}
    found: dict[str, str] = {}
    for key, item in items:
        found |= _leaves(item, f"{path}.{key}" if path else str(key))
    return found


def _changes(before: Any, after: Any) -> list[Change]:
    old, new = _leaves(before), _leaves(after)
    return [
        Change(path, old.get(path), new.get(path))
        for path in sorted(old.keys() | new.keys())
        if old.get(path) != new.get(path)
    ]


@dataclass(frozen=True)
class VersionDiff:
    """What changed from one version's definition to another's: the process's own fields, and
    milestones matched by name (added, removed, or changed field by field)."""

    process: list[Change]
    added: list[str]
    removed: list[str]
    changed: dict[str, list[Change]]


def version_diff(before: EntitlementProcess, after: EntitlementProcess) -> VersionDiff:
    def own(definition: EntitlementProcess) -> dict[str, Any]:
        return definition.model_dump(exclude={"milestones", "version"})

    old = {m.name.casefold(): m for m in before.milestones}
    new = {m.name.casefold(): m for m in after.milestones}
    changed = {
        new[key].name: found
        for key in new
        if key in old and (found := _changes(old[key].model_dump(), new[key].model_dump()))
    }
    return VersionDiff(
        process=_changes(own(before), own(after)),
        added=[m.name for key, m in new.items() if key not in old],
        removed=[m.name for key, m in old.items() if key not in new],
        changed=changed,
    )


@router.get("/processes/{process_id}/diff")
async def diff_page(
    request: Request, services: ServicesDep, db: DatabaseDep, process_id: DbId
) -> Response:
    """The difference from version `a` to version `b` (default: the two latest)."""
    visit = await signed_in(request, services, may_view, CANNOT_VIEW)
    if not isinstance(visit, Visit):
        return visit
    query = request.query_params
    try:
        process = await db.run(processes_crud.get_process, process_id=process_id)
        a = int(query.get("a") or max(process.latest_version - 1, 1))
        b = int(query.get("b") or process.latest_version)
        before, after = await _versions(db, services, process_id, a, b)
    except ValueError:
        error = SlaError("versions are numbers: ?a=1&b=2", 422)
        return message(request, services, visit, error, "Process versions")
    except SlaError as error:
        return message(request, services, visit, error, "Process versions")
    return page(
        request,
        services,
        visit,
        "admin_diff.html",
        process=process,
        before=before,
        after=after,
        diff=version_diff(before.definition, after.definition),
    )
