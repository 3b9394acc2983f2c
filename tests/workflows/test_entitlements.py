"""Which of an account's entitlements applies to a case (`workflows.entitlements`): active on the
day the case opened in the entitlement's zone, both ends included, to the second; conditions on
the case's fields; the highest priority wins, and a tie is a conflict that names them."""

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from workflows.entitlements import (
    Entitlement,
    EntitlementConflictError,
    Resolution,
    resolve_entitlement,
)

NEW_YORK = ZoneInfo("America/New_York")
FIELDS = {"product": "Cloud", "priority": "High"}


def entitlement(name: str = "Premium", **fields: Any) -> Entitlement:
    """ACME's premium support for March 2026, on New York days."""
    values: dict[str, Any] = {
        "name": name,
        "account_id": "ACME",
        "process": "Premium",
        "business_hours": "Stormhaven US",
        "time_zone": "America/New_York",
        "starts_on": date(2026, 3, 1),
        "ends_on": date(2026, 3, 31),
    }
    values.update(fields)
    return Entitlement.model_validate(values)


def resolve(*entitlements: Entitlement, at: datetime, **fields: Any) -> Resolution:
    return resolve_entitlement("ACME", entitlements, {**FIELDS, **fields}, at)


# The edges of March 2026 in New York: EST (-05:00) on the first day, EDT (-04:00) on the last.
FIRST_INSTANT = datetime(2026, 3, 1, tzinfo=NEW_YORK)
LAST_INSTANT = datetime(2026, 3, 31, 23, 59, 59, tzinfo=NEW_YORK)


def test_the_edges_are_exact_to_the_second_in_the_entitlements_zone() -> None:
    premium = entitlement()
    assert FIRST_INSTANT.astimezone(UTC) == datetime(2026, 3, 1, 5, tzinfo=UTC)
    assert LAST_INSTANT.astimezone(UTC) == datetime(2026, 4, 1, 3, 59, 59, tzinfo=UTC)

    before = resolve(premium, at=FIRST_INSTANT - timedelta(seconds=1))
    assert before.entitlement is None
    assert before.reason == (
        "no entitlement of account 'ACME' applies: 'Premium' starts on 2026-03-01 (the case "
        "opened on 2026-02-28 in America/New_York)"
    )
    assert resolve(premium, at=FIRST_INSTANT).entitlement == premium
    # The first day, the last day, and the last second of the last day (April 1 in UTC).
    for instant in (
        FIRST_INSTANT,
        datetime(2026, 3, 1, 23, 59, 59, tzinfo=NEW_YORK),
        datetime(2026, 3, 31, tzinfo=NEW_YORK),
        LAST_INSTANT,
    ):
        found = resolve(premium, at=instant.astimezone(UTC))
        assert found.entitlement == premium, instant
    last = resolve(premium, at=LAST_INSTANT.astimezone(UTC))
    assert last.reason == (
        "entitlement 'Premium' of account 'ACME' applies (priority 0, the case opened on "
        "2026-03-31 in America/New_York)"
    )
    after = resolve(premium, at=LAST_INSTANT + timedelta(seconds=1))
    assert after.entitlement is None
    assert after.reason == (
        "no entitlement of account 'ACME' applies: 'Premium' ended on 2026-03-31 (the case "
        "opened on 2026-04-01 in America/New_York)"
    )


def test_the_same_instant_is_another_day_in_another_zone() -> None:
    # 2026-04-01 03:59:59 UTC is still March 31 in New York, and already April 1 in UTC.
    instant = LAST_INSTANT.astimezone(UTC)
    assert resolve(entitlement(), at=instant).entitlement is not None
    in_utc = entitlement(time_zone="UTC", business_hours=None)
    assert resolve(in_utc, at=instant).entitlement is None
    assert not in_utc.active_on(instant)
    assert in_utc.active_on(instant - timedelta(hours=4))
    assert entitlement().local_day(instant) == date(2026, 3, 31)
    assert in_utc.local_day(instant) == date(2026, 4, 1)


def test_open_ended_dates_and_a_single_day() -> None:
    always = entitlement(starts_on=None, ends_on=None)
    for year in (1970, 2026, 8999):
        assert always.active_on(datetime(year, 6, 1, tzinfo=UTC))
    open_ended = entitlement(ends_on=None)
    assert open_ended.active_on(datetime(8999, 1, 1, tzinfo=UTC))
    assert not open_ended.active_on(FIRST_INSTANT - timedelta(seconds=1))
    until = entitlement(starts_on=None)
    assert until.active_on(datetime(1970, 1, 2, tzinfo=UTC))
    assert not until.active_on(LAST_INSTANT + timedelta(seconds=1))
    one_day = entitlement(starts_on=date(2026, 3, 8), ends_on=date(2026, 3, 8))  # 23 h: DST
    assert one_day.active_on(datetime(2026, 3, 8, tzinfo=NEW_YORK))
    assert one_day.active_on(datetime(2026, 3, 8, 23, 59, 59, tzinfo=NEW_YORK))
    assert not one_day.active_on(datetime(2026, 3, 9, tzinfo=NEW_YORK))
    assert not one_day.active_on(datetime(2026, 3, 8, tzinfo=NEW_YORK) - timedelta(seconds=1))


def test_dates_must_be_in_order_and_instants_aware() -> None:
    with pytest.raises(ValidationError) as error:
        entitlement(starts_on=date(2026, 3, 2), ends_on=date(2026, 3, 1))
    assert (
        "ends_on 2026-03-01 is before starts_on 2026-03-02: both days are included, so an "
        "entitlement may end on the day it starts, not before"
    ) in str(error.value)
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus'"):
        entitlement(time_zone="Mars/Olympus")
    with pytest.raises(ValueError, match="timezone-aware"):
        entitlement().active_on(datetime(2026, 3, 5))


def test_conditions_on_the_case_fields_choose_among_active_entitlements() -> None:
    cloud = entitlement(
        "Cloud",
        applies_when={"all": [{"field": "product", "op": "eq", "value": "Cloud"}]},
    )
    onsite = entitlement(
        "Onsite",
        priority=50,
        applies_when={"all": [{"field": "product", "op": "in", "value": ["Onsite", "Hybrid"]}]},
    )
    at = datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert resolve(cloud, onsite, at=at).entitlement == cloud
    assert resolve(cloud, onsite, at=at, product="Hybrid").entitlement == onsite
    none = resolve(cloud, onsite, at=at, product="Desktop")
    assert none.entitlement is None
    assert none.reason == (
        "no entitlement of account 'ACME' applies: 'Onsite' applies when product in "
        "['Onsite', 'Hybrid']; 'Cloud' applies when product eq 'Cloud'"
    )
    missing = resolve_entitlement("ACME", [cloud], {}, at)
    assert missing.entitlement is None


def test_the_highest_priority_wins_and_says_what_it_outranks() -> None:
    at = datetime(2026, 3, 10, 12, tzinfo=UTC)
    standard = entitlement("Standard", starts_on=None, ends_on=None, priority=1)
    premium = entitlement("Premium", priority=10)
    cloud = entitlement(
        "Cloud",
        priority=5,
        applies_when={"all": [{"field": "product", "op": "eq", "value": "Cloud"}]},
    )
    found = resolve(standard, cloud, premium, at=at)
    assert found.entitlement == premium
    assert found.reason == (
        "entitlement 'Premium' of account 'ACME' applies (priority 10, the case opened on "
        "2026-03-10 in America/New_York); it outranks 'Cloud' (priority 5), 'Standard' "
        "(priority 1)"
    )
    # After March the premium contract has ended: the next one down applies.
    april = datetime(2026, 4, 2, tzinfo=UTC)
    assert resolve(standard, cloud, premium, at=april).entitlement == standard
    assert resolve(standard, cloud, premium, at=at, product="Onsite").entitlement == premium


def test_a_tie_at_the_highest_priority_is_a_conflict_naming_them() -> None:
    at = datetime(2026, 3, 10, 12, tzinfo=UTC)
    gold = entitlement("Gold", priority=5)
    silver = entitlement("silver", priority=5)
    bronze = entitlement("Bronze", priority=5, ends_on=date(2026, 3, 9))  # ended: not in the tie
    with pytest.raises(EntitlementConflictError) as conflict:
        resolve(silver, bronze, gold, at=at)
    assert conflict.value.names == ["Gold", "silver"]
    assert conflict.value.priority == 5
    assert str(conflict.value) == (
        "entitlements 'Gold' and 'silver' of account 'ACME' all apply to the case with priority "
        "5: give one a higher priority, narrow their conditions, or name the entitlement when "
        "starting the case"
    )
    # A tie below the winner is no conflict.
    platinum = entitlement("Platinum", priority=9)
    assert resolve(silver, gold, platinum, at=at).entitlement == platinum


def test_only_the_accounts_own_entitlements_count() -> None:
    at = datetime(2026, 3, 10, 12, tzinfo=UTC)
    globex = entitlement("Premium", account_id="GLOBEX")
    nothing = resolve(globex, at=at)
    assert nothing == Resolution(entitlement=None, reason="account 'ACME' has no entitlements")
    assert resolve_entitlement("GLOBEX", [globex], FIELDS, at).entitlement == globex


def test_an_exhausted_allowance_still_applies_and_says_so() -> None:
    used_up = entitlement(cases_allowed=10, cases_used=10, on_exhausted="flag")
    at = datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert resolve(used_up, at=at).entitlement == used_up  # what happens next is its policy
    assert used_up.remaining == 0
    assert entitlement(cases_allowed=10, cases_used=12).remaining == 0
    assert entitlement(cases_allowed=10, cases_used=3).remaining == 7
    assert entitlement().remaining is None


def test_a_default_entitlement_covers_a_case_none_of_its_accounts_own_covers() -> None:
    premium = entitlement(priority=5)
    standard = entitlement("Standard", account_id=None, starts_on=None, ends_on=None)
    in_march = datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert resolve(premium, standard, at=in_march).entitlement == premium
    in_april = datetime(2026, 4, 10, 12, tzinfo=UTC)
    fallback = resolve(premium, standard, at=in_april)
    assert fallback.entitlement == standard
    assert fallback.reason == (
        "no entitlement of account 'ACME' applies: 'Premium' ended on 2026-03-31 (the case "
        "opened on 2026-04-10 in America/New_York); entitlement 'Standard' by default applies "
        "(priority 0, the case opened on 2026-04-10 in America/New_York)"
    )
    # A case with no account, and an account with no entitlements, get the default too.
    no_account = resolve_entitlement(None, [premium, standard], FIELDS, in_march)
    assert no_account.entitlement == standard
    assert no_account.reason.startswith("the case has no account_id field; entitlement 'Standard'")
    other = resolve_entitlement("Initech", [premium, standard], FIELDS, in_march)
    assert other.entitlement == standard
    # Defaults that tie are a conflict too, named as defaults.
    with pytest.raises(EntitlementConflictError, match=r"'Gold' and 'Standard' \(defaults\)"):
        resolve_entitlement(
            "Initech", [standard, standard.model_copy(update={"name": "Gold"})], FIELDS, in_march
        )
    nothing = resolve_entitlement(None, [premium], FIELDS, in_march)
    assert nothing == Resolution(entitlement=None, reason="the case has no account_id field")
