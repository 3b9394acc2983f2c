"""What every request is held to before any work is done on it, authentication included: a body
of at most `MAX_BODY_BYTES` (413 past it, read no further), and JSON text whose strings a case can
store and send on (no NUL, no lone surrogate) and whose nesting is bounded (422).

A plain ASGI middleware: it reads the body once, checks it, and hands the same bytes to the app.
Form posts (the console's `application/x-www-form-urlencoded` and `multipart/form-data`) are
bounded alike but not read as JSON text: their values reach the contract's models, whose
validators refuse control characters (`workflows.limits.check_name`), and a JSON route never
parses a form body as JSON (FastAPI reads JSON only from a JSON or an untyped body, which is
why every other body, with or without a content type, is checked as JSON text).
"""

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from workflows.limits import unsafe_json_text

MAX_BODY_BYTES = 1024 * 1024
"""1 MiB: a process of 25 milestones with all their rules and actions fits many times over."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class RequestGuard:
    def __init__(self, app: App, max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body:
            await _answer(send, 413, self._too_large(declared))
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await _answer(send, 413, self._too_large(size))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        problem = unsafe_json_text(body) if body and not _is_form(scope) else None
        if problem is not None:
            detail = [{"loc": ["body"], "msg": problem, "type": "value_error"}]
            await _answer(send, 422, detail)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # the client's disconnect, when it comes
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    def _too_large(self, size: int) -> str:
        return (
            f"the request body is {size} bytes or more; the limit is {self.max_body} "
            "(README: Limits)"
        )


FORM_TYPES = (b"application/x-www-form-urlencoded", b"multipart/form-data")


def _is_form(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return value.split(b";", 1)[0].strip().lower() in FORM_TYPES
    return False


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _answer(send: Send, status: int, detail: Any) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
