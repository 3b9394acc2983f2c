"""The errors of the config service: one `SlaError(message, status_code)` hierarchy, turned into
JSON by one handler in `api.main`.

Messages are for the caller and say what to fix. A 422 can name the field at fault with `loc`,
in FastAPI's own shape (`{"detail": [{"loc": [...], "msg": ..., "type": ...}]}`), so a client
reads our validation errors and pydantic's the same way.
"""

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

Loc = tuple[str | int, ...]


class SlaError(Exception):
    """An error with the HTTP status it maps to; `detail` is the response body's `detail`."""

    status_code = 400

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code

    @property
    def detail(self) -> Any:
        return self.message

    headers: dict[str, str] | None = None


class NotFoundError(SlaError):
    status_code = 404


class ConflictError(SlaError):
    status_code = 409


class InvalidInputError(SlaError):
    """Input that parses but does not make sense, reported against the field it is about (the
    body as a whole by default), in the shape of FastAPI's validation errors."""

    status_code = 422

    def __init__(self, message: str, loc: Loc = ("body",)) -> None:
        super().__init__(message)
        self.loc = loc

    @property
    def detail(self) -> Any:
        return [{"loc": list(self.loc), "msg": self.message, "type": "value_error"}]


class InvalidFieldsError(SlaError):
    """Several field-level problems at once (a process definition can have many)."""

    status_code = 422

    def __init__(self, problems: Sequence[tuple[Loc, str]]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, msg in problems))
        self.problems = list(problems)

    @property
    def detail(self) -> Any:
        return [{"loc": list(loc), "msg": msg, "type": "value_error"} for loc, msg in self.problems]


class UnauthorizedError(SlaError):
    status_code = 401
    headers = {"WWW-Authenticate": "Bearer"}  # noqa: RUF012 (read-only)


class ForbiddenError(SlaError):
    status_code = 403


class TemporalUnavailableError(SlaError):
    """Temporal cannot be reached: configuration still works, cases do not."""

    status_code = 503


class TemporalTimeoutError(SlaError):
    status_code = 504


class ErrorBody(BaseModel):
    """The body of every error response: a message, or FastAPI's list of field errors."""

    detail: str | list[dict[str, Any]]
