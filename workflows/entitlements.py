"""Entitlements: what an account bought (a process, optional business hours, valid dates, an
optional allowance of cases, optional conditions on case fields, a priority among the account's
entitlements), and which one applies to a case. Pure: no I/O, no clock.

An entitlement's dates are days in its zone (`time_zone`: its business hours' zone, else its
process's calendar's zone, else UTC; the config service fills it in), inclusive at both ends:
a case opened at 23:59:59 local time on `ends_on` is covered, one opened a second later is not.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from workflows.business_hours import known_zone
from workflows.conditions import criteria_hold, describe
from workflows.contract import CaseFields, EntitlementProcess, StateCriteria
from workflows.values import CalendarName

_NAME_PATTERN: str = EntitlementProcess.model_json_schema()["properties"]["name"]["pattern"]
EntitlementName = Annotated[str, Field(min_length=1, max_length=100, pattern=_NAME_PATTERN)]
"""Like a process's name: it will sit in search attributes, records and URLs."""
AccountId = Annotated[str, Field(min_length=1, max_length=200)]
"""The case field `account_id` an entitlement belongs to (the API takes no quotes, backslashes or
control characters in it)."""
CasesAllowed = Annotated[int, Field(ge=1, le=2**31 - 1)]
"""A per-incident allowance: how many cases the entitlement covers in all."""
MAX_PRIORITY = 1_000_000
Priority = Annotated[int, Field(ge=0, le=MAX_PRIORITY)]
"""Among an account's entitlements that apply to a case, the highest priority wins."""
OnExhausted = Literal["refuse", "flag"]
"""What a case gets once the allowance is used up: refused, or started and flagged."""


def check_dates(starts_on: date | None, ends_on: date | None) -> None:
    """An entitlement may end on the day it starts (dates are inclusive), never before."""
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        raise ValueError(
            f"ends_on {ends_on} is before starts_on {starts_on}: both days are included, so an "
            "entitlement may end on the day it starts, not before"
        )


class Entitlement(BaseModel):
    """An account's entitlement as the resolution reads it (and as a case will pin it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: EntitlementName
    account_id: AccountId | None = None
    """The account it belongs to; None: a default, for a case none of whose account's own
    entitlements applies."""
    process: EntitlementName
    """The entitlement process, by name: a case pins its version current when the case starts."""
    business_hours: CalendarName | None = None
    """Business hours that override the process's, by name."""
    time_zone: str = "UTC"
    """The zone whose days `starts_on` and `ends_on` are: the business hours', else the
    process's calendar's, else UTC."""
    starts_on: date | None = None
    """The first day it covers (inclusive); null: since always."""
    ends_on: date | None = None
    """The last day it covers (inclusive); null: open-ended."""
    cases_allowed: CasesAllowed | None = None
    """How many cases it covers in all; null: no limit."""
    cases_used: int = Field(default=0, ge=0)
    """How many cases it has covered: kept by the engine, never written by a client."""
    applies_when: StateCriteria | None = None
    """Conditions on the case's fields (e.g. product = "Cloud"); null: every case."""
    priority: Priority = 0
    on_exhausted: OnExhausted = "refuse"

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, key: str) -> str:
        return known_zone(key)

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        check_dates(self.starts_on, self.ends_on)
        return self

    @property
    def remaining(self) -> int | None:
        """Cases the allowance still covers (0 once used up); None without an allowance."""
        if self.cases_allowed is None:
            return None
        return max(self.cases_allowed - self.cases_used, 0)

    def local_day(self, instant: datetime) -> date:
        """The day `instant` falls on in the entitlement's zone."""
        if instant.tzinfo is None:
            raise ValueError("the instant must be timezone-aware")
        return instant.astimezone(ZoneInfo(self.time_zone)).date()

    def active_on(self, instant: datetime) -> bool:
        """Whether `instant` falls on a day from `starts_on` to `ends_on`, both included."""
        day = self.local_day(instant)
        return (self.starts_on is None or self.starts_on <= day) and (
            self.ends_on is None or day <= self.ends_on
        )

    def applies_to(self, fields: CaseFields) -> bool:
        return self.applies_when is None or criteria_hold(self.applies_when, fields, fields, None)


class Resolution(BaseModel):
    """Which entitlement applies to a case, and why (or why none does)."""

    model_config = ConfigDict(frozen=True)

    entitlement: Entitlement | None
    reason: str


class EntitlementConflictError(ValueError):
    """Entitlements that apply to a case share the highest priority: none can be chosen."""

    def __init__(self, account_id: str | None, names: Sequence[str], priority: int) -> None:
        self.account_id = account_id
        self.names = list(names)
        self.priority = priority
        whose = f"of account {account_id!r}" if account_id is not None else "(defaults)"
        super().__init__(
            f"entitlements {_listed(names)} {whose} all apply to the case with priority "
            f"{priority}: give one a higher priority, narrow their conditions, or name the "
            "entitlement when starting the case"
        )


def _listed(names: Sequence[str]) -> str:
    quoted = [repr(name) for name in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


def why_not(entitlement: Entitlement, fields: CaseFields, opened_at: datetime) -> str | None:
    """Why `entitlement` does not apply to a case opened at `opened_at`, or None if it does."""
    day = entitlement.local_day(opened_at)
    opened = f"the case opened on {day} in {entitlement.time_zone}"
    if entitlement.starts_on is not None and day < entitlement.starts_on:
        return f"{entitlement.name!r} starts on {entitlement.starts_on} ({opened})"
    if entitlement.ends_on is not None and day > entitlement.ends_on:
        return f"{entitlement.name!r} ended on {entitlement.ends_on} ({opened})"
    if not entitlement.applies_to(fields):
        assert entitlement.applies_when is not None
        return f"{entitlement.name!r} applies when {describe(entitlement.applies_when)}"
    return None


def resolve_entitlement(
    account_id: str | None,
    entitlements: Iterable[Entitlement],
    fields: CaseFields,
    opened_at: datetime,
) -> Resolution:
    """The entitlement that applies to a case of `account_id` with `fields` opened at
    `opened_at`: one of the account's own, active on that day (in its zone) and whose
    conditions hold, the highest priority winning; when none does (or the case names no
    account), a default entitlement (no account) by the same rule. None, with the reason of
    each, when nothing applies. Other accounts' entitlements are never considered.

    Raises `EntitlementConflictError` when several apply with the highest priority.
    """
    pool = list(entitlements)
    if account_id is None:
        reason = "the case has no account_id field"
    else:
        own = [e for e in pool if e.account_id == account_id]
        chosen, reason = _best(own, account_id, fields, opened_at)
        if chosen is not None:
            return Resolution(entitlement=chosen, reason=reason)
    defaults = [e for e in pool if e.account_id is None]
    if not defaults:
        return Resolution(entitlement=None, reason=reason)
    chosen, why = _best(defaults, None, fields, opened_at)
    return Resolution(entitlement=chosen, reason=f"{reason}; {why}")


def _best(
    candidates: list[Entitlement], account_id: str | None, fields: CaseFields, opened_at: datetime
) -> tuple[Entitlement | None, str]:
    """The one of `candidates` (all of `account_id`, or all defaults) that applies, and why."""
    whose = f"of account {account_id!r}" if account_id is not None else "by default"
    if not candidates:
        return None, f"account {account_id!r} has no entitlements"
    ranked = sorted(candidates, key=lambda e: (-e.priority, e.name.casefold()))
    applying: list[Entitlement] = []
    reasons: list[str] = []
    for entitlement in ranked:
        reason = why_not(entitlement, fields, opened_at)
        if reason is None:
            applying.append(entitlement)
        else:
            reasons.append(reason)
    if not applying:
        return None, f"no entitlement {whose} applies: {'; '.join(reasons)}"
    best, *others = applying
    tied = [e.name for e in applying if e.priority == best.priority]
    if len(tied) > 1:
        raise EntitlementConflictError(account_id, tied, best.priority)
    reason = (
        f"entitlement {best.name!r} {whose} applies (priority {best.priority}, "
        f"the case opened on {best.local_day(opened_at)} in {best.time_zone})"
    )
    if others:
        outranked = ", ".join(f"{e.name!r} (priority {e.priority})" for e in others)
        reason += f"; it outranks {outranked}"
    return best, reason
