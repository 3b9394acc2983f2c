"""The error responses routes document, so the OpenAPI schema says what each can answer."""

from typing import Any

from api.errors import ErrorBody


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error codes (401 and 403 come with every key check, 413 with
    every request: the guard answers it before anything else)."""
    described = {
        401: "Missing or unknown API key",
        403: "The API key lacks the role",
        404: "Unknown id",
        409: "Conflicts with the current state",
        413: "The request body is over 1 MiB",
        502: "Temporal or the case's workflow failed",
        503: "Temporal is unreachable",
        504: "No worker answered in time",
    }
    return {
        code: {"model": ErrorBody, "description": described[code]}
        for code in sorted({401, 403, 413, *codes})
    }
