"""The Stormhaven configuration written straight through the crud (a calendar, the types, the
premium process, an entitlement) and an ops key, for tests that fuzz what refers to them: the
ids and names of what was made."""

from typing import Any

from fastapi import FastAPI

from activities.settings import DestinationRules
from api.crud import api_keys, business_hours, entitlements, milestone_types, processes
from api.deps import Services
from api.schemas import (
    ApiKeyCreate,
    EntitlementCreate,
    EntitlementProcessCreate,
    MilestoneTypeCreate,
)
from tests.helpers.factories import STORMHAVEN_TYPES, premium_body
from tests.helpers.stormhaven import OFFICE


def seed(app: FastAPI) -> dict[str, Any]:
    """The Stormhaven configuration and a key; the path parameters that name them."""
    services: Services = app.state.services
    with services.sessions() as session:
        calendar = business_hours.create_business_hours(session, hours=OFFICE)
        types = [
            milestone_types.create_milestone_type(
                session, body=MilestoneTypeCreate(name=name, color=color)
            ).id
            for name, color in STORMHAVEN_TYPES.items()
        ]
        process, _ = processes.create_process(
            session,
            body=EntitlementProcessCreate.model_validate(premium_body()),
            destinations=DestinationRules(),
        )
        entitlement = entitlements.create_entitlement(
            session,
            body=EntitlementCreate(
                name="Premium Support", account_id="ACME", process="Premium", cases_allowed=10
            ),
        )
        key, _ = api_keys.create_api_key(session, body=ApiKeyCreate(name="ops", roles=["ops"]))
        return {
            "type_id": types[0],
            "type_ids": types,
            "hours_id": calendar.id,
            "process_id": process.id,
            "version": 1,
            "entitlement_id": entitlement.id,
            "key_id": key.id,
            "case_id": "SH-1001",
            "account_id": "ACME",
            "name": "Triage",
        }
