"""The connection to Temporal every part of the system uses: the settings (`TEMPORAL_*`), a
client with the contract's data converter, and the registration of the custom search attributes
a case's workflow needs before it can upsert them.

Imported by the worker, the API, the benchmarks and the tests; it imports none of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from workflows.contract import TASK_QUEUE
from workflows.converter import DATA_CONVERTER
from workflows.search_attributes import SEARCH_ATTRIBUTES


class TemporalSettings(BaseSettings):
    """Where Temporal is and how to reach it."""

    model_config = SettingsConfigDict(env_prefix="TEMPORAL_", extra="ignore")

    address: str = "localhost:7233"
    namespace: str = "default"
    task_queue: str = TASK_QUEUE
    tls: bool = False
    tls_cert_path: Path | None = None
    tls_key_path: Path | None = None
    tls_ca_path: Path | None = None
    tls_server_name: str | None = None
    api_key: str | None = None
    ui_url: str = "http://localhost:8233"

    def tls_config(self) -> TLSConfig | bool:
        if not (self.tls or self.tls_cert_path or self.tls_ca_path):
            return bool(self.api_key)  # Temporal Cloud API keys need TLS
        return TLSConfig(
            server_root_ca_cert=self.tls_ca_path.read_bytes() if self.tls_ca_path else None,
            client_cert=self.tls_cert_path.read_bytes() if self.tls_cert_path else None,
            client_private_key=self.tls_key_path.read_bytes() if self.tls_key_path else None,
            domain=self.tls_server_name,
        )


async def connect(settings: TemporalSettings | None = None) -> Client:
    """A client with the data converter every part of the system uses."""
    settings = settings or TemporalSettings()
    return await Client.connect(
        settings.address,
        namespace=settings.namespace,
        tls=settings.tls_config(),
        api_key=settings.api_key,
        data_converter=DATA_CONVERTER,
    )


def type_name(key: SearchAttributeKey[Any]) -> str:
    """A search attribute's type as Temporal's CLI spells it: `Keyword`, `Datetime`."""
    name = IndexedValueType.Name(IndexedValueType.ValueType(key.indexed_value_type))
    return name.removeprefix("INDEXED_VALUE_TYPE_").title()


async def ensure_search_attributes(
    client: Client, keys: Sequence[SearchAttributeKey[Any]] = SEARCH_ATTRIBUTES
) -> list[str]:
    """Register the custom search attributes that are missing; the names added."""
    wanted = {key.name: IndexedValueType.ValueType(key.indexed_value_type) for key in keys}
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        missing = {
            name: kind for name, kind in wanted.items() if name not in existing.custom_attributes
        }
    except RPCError as error:
        if error.status != RPCStatusCode.UNIMPLEMENTED:  # the time-skipping test server
            raise
        missing = wanted
    if missing:
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
            )
        except RPCError as error:
            if error.status != RPCStatusCode.ALREADY_EXISTS:
                raise
    return sorted(missing)
