"""The headers every answer of the app carries, the API's and the console's alike: browsers must
not guess a body's type from its bytes (`X-Content-Type-Options: nosniff`), and no address of
ours, which may name a case or an account, goes on to another site (`Referrer-Policy:
no-referrer`).

A plain ASGI middleware around everything else, the request guard included, so its own 413 and
422 answers carry them too.
"""

from api.guard import App, Message, Receive, Scope, Send

SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)


class SecurityHeaders:
    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                added = [(n, v) for n, v in SECURITY_HEADERS if n not in names]
                message["headers"] = [*message.get("headers", []), *added]
            await send(message)

        await self.app(scope, receive, send_with_headers)
