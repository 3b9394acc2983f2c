"""The console's session: a cookie signed with HMAC-SHA256 under `sla_console_secret`, holding
a random session id once signed in (the database keeps the id's hash and the key's, from sign-in
to sign-out: `api.crud.console_sessions`), its expiry and a CSRF token. The cookie never holds
the key, nor anything that opens a session without the database's row.

A visitor who has not signed in gets an anonymous session (a CSRF token only), so the sign-in
form is protected like every other form. Signing in issues a new session with a new token, so a
token seen before sign-in is worth nothing after. The cookie is HttpOnly, SameSite=Strict, and
Secure when the request came over https. Pure apart from `secrets`: callers pass `now`.
"""

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

COOKIE = "sla_console"
CSRF_FIELD = "csrf"
ANONYMOUS_LIFETIME = timedelta(hours=1)
"""How long a sign-in form stays usable."""


@dataclass(frozen=True)
class ConsoleSession:
    """A browser's session: its id once signed in (None before), when it ends, and the token its
    forms must carry."""

    session_id: str | None
    expires_at: datetime
    csrf: str

    @property
    def signed_in(self) -> bool:
        return self.session_id is not None


def new_session(now: datetime, lifetime: timedelta, *, signed_in: bool) -> ConsoleSession:
    session_id = secrets.token_hex(32) if signed_in else None
    return ConsoleSession(session_id, expires_at=now + lifetime, csrf=secrets.token_hex(16))


def stored_id(session_id: str) -> str:
    """What the database keeps of a session id: its SHA-256, so reading the table opens no
    session."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def encode(session: ConsoleSession, secret: str) -> str:
    payload = json.dumps(
        {"s": session.session_id, "e": int(session.expires_at.timestamp()), "c": session.csrf},
        separators=(",", ":"),
    ).encode()
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{body}.{_mac(body, secret)}"


def decode(cookie: str | None, secret: str, now: datetime) -> ConsoleSession | None:
    """The session a cookie holds, or None when it is missing, forged or expired."""
    # A browser sends whatever it was given: anything this console did not sign and cannot
    # read (text `compare_digest` refuses, an expiry no clock holds) is no cookie, never a 500.
    if not cookie or not cookie.isascii() or cookie.count(".") != 1:
        return None
    body, mac = cookie.split(".")
    if not hmac.compare_digest(mac, _mac(body, secret)):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        session_id, csrf = payload["s"], payload["c"]
        expires_at = datetime.fromtimestamp(int(payload["e"]), now.tzinfo)
    except (ValueError, KeyError, TypeError, OverflowError, OSError):
        return None
    if expires_at <= now or not _ascii(csrf) or not (session_id is None or _ascii(session_id)):
        return None
    return ConsoleSession(session_id, expires_at=expires_at, csrf=csrf)


def _ascii(value: object) -> bool:
    """Text as this console writes its ids and tokens (a JSON escape may hold any other)."""
    return isinstance(value, str) and value.isascii()


def csrf_matches(session: ConsoleSession, token: str | None) -> bool:
    return token is not None and hmac.compare_digest(session.csrf.encode(), token.encode())


def _mac(body: str, secret: str) -> str:
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
