"""The data converter of every Temporal client, worker and replayer of cases.

Pydantic JSON (the contract's models as they are), with one rule added at the boundary: a payload
that does not fit the model it is read into is refused as a `CommandInvalidError`, with the
message a caller can act on ("invalid Pause: reason: Field required"), instead of the SDK's bare
"Failed decoding arguments". An update so refused is rejected before it reaches history; a signal
is logged and dropped; a case started with a bad `StartCase` fails at once instead of retrying
its first task forever.
"""

from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
)
from temporalio.exceptions import ApplicationError

from workflows.contract import COMMAND_INVALID, problems_of


class _ContractJSONConverter(PydanticJSONPlainPayloadConverter):
    def to_payload(self, value: Any) -> Payload | None:
        if not isinstance(value, BaseModel):
            return super().to_payload(value)
        # Defaults are what the reader fills in anyway: leaving them out keeps every input,
        # answer and action in the case's history a fraction of the size.
        data = value.model_dump_json(exclude_defaults=True).encode()
        return Payload(metadata={"encoding": self.encoding.encode()}, data=data)

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        try:
            return super().from_payload(payload, type_hint)
        except ValidationError as error:
            raise ApplicationError(
                f"invalid {_name(type_hint)}: {problems_of(error)}",
                type=COMMAND_INVALID,
                non_retryable=True,
            ) from None


_CONVERTERS = tuple(
    _ContractJSONConverter() if isinstance(converter, JSONPlainPayloadConverter) else converter
    for converter in DefaultPayloadConverter.default_encoding_payload_converters
)
"""Made once: the SDK makes a payload converter for every workflow run it loads, and a fresh
pydantic converter would build its type adapters again each time."""


class ContractPayloadConverter(CompositePayloadConverter):
    """Temporal's default converters, with JSON read and written by pydantic."""

    def __init__(self) -> None:
        super().__init__(*_CONVERTERS)


DATA_CONVERTER = DataConverter(payload_converter_class=ContractPayloadConverter)


def _name(type_hint: Any) -> str:
    if get_origin(type_hint) in (Union, UnionType):
        type_hint = next((arg for arg in get_args(type_hint) if arg is not NoneType), type_hint)
    return getattr(type_hint, "__name__", str(type_hint))
