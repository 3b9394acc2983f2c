"""What every console page shares: the templates, who is looking (the session and the key's
principal), the navigation by role, rendering a page with its security headers, the CSRF check of
a posted form, and the answers for "sign in first" and "not allowed".

The agent pages live in `api.console.routes`, the ops pages in `api.console.ops`, the admin pages
in `api.console.admin`; each adds its links to `NAVIGATION`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.auth import principal_of_hash
from api.console.session import (
    ANONYMOUS_LIFETIME,
    COOKIE,
    CSRF_FIELD,
    ConsoleSession,
    csrf_matches,
    decode,
    encode,
    new_session,
    stored_id,
)
from api.console.views import duration_text
from api.crud.console_sessions import key_of_session
from api.deps import Services
from api.keys import Principal
from api.schemas import Role

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
TEMPLATES.env.filters["duration"] = duration_text

NAVIGATION: list[tuple[str, str, tuple[Role, ...]]] = [
    ("My cases", "/console/cases", ("agent", "ops")),
    ("Types", "/console/admin/types", ("ops",)),
    ("Business hours", "/console/admin/business-hours", ("ops",)),
    ("Processes", "/console/admin/processes", ("ops",)),
    ("Entitlements", "/console/admin/entitlements", ("ops",)),
    ("Dashboard", "/console/dashboard", ("ops",)),
    ("At risk", "/console/at-risk", ("ops",)),
    ("Deliveries", "/console/deliveries", ("ops",)),
]
"""The console's pages as (label, path, roles that may open it), in the order the bar shows."""

CSRF_REFUSED = (
    "This form's security token is missing or out of date, so nothing was done: reload the "
    "page and try again."
)


@dataclass(frozen=True)
class Visit:
    """Who is looking: the browser's session (new ones need their cookie set) and, once signed
    in, the principal of its key as the key lookup knows it now."""

    session: ConsoleSession
    principal: Principal | None
    fresh: bool

    def may(self, *roles: Role) -> bool:
        """Whether the key holds one of `roles` (admin holds them all)."""
        return self.principal is not None and any(self.principal.may(r) for r in roles)

    def may_read_cases(self) -> bool:
        return self.may("agent", "ops")

    def may_act(self) -> bool:
        return self.may("agent")


def _key_of_session(services: Services, session_id: str, now: datetime) -> str | None:
    with services.sessions() as db:
        return key_of_session(db, id_hash=stored_id(session_id), now=now)


async def visit_of(request: Request, services: Services) -> Visit:
    # Sessions expire by the wall clock; `services.clock` is the cases' clock (Temporal's).
    now = datetime.now(UTC)
    session = decode(request.cookies.get(COOKIE), services.settings.sla_console_secret, now)
    principal = None
    if session is not None and session.session_id is not None:
        # Read on every request, never cached: a session signed out through any API process
        # ends at once in all of them.
        key_hash = await run_in_threadpool(_key_of_session, services, session.session_id, now)
        if key_hash is not None:
            principal = await principal_of_hash(services, key_hash)
        if principal is None:  # signed out, or its key was revoked: the session ended
            session = None
    if session is None:
        return Visit(new_session(now, ANONYMOUS_LIFETIME, signed_in=False), None, fresh=True)
    return Visit(session, principal, fresh=False)


def _cookie_attributes(request: Request) -> dict[str, Any]:
    return {
        "path": "/console",
        "httponly": True,
        "samesite": "strict",
        "secure": request.url.scheme == "https",
    }


def set_cookie(request: Request, response: Response, services: Services, s: ConsoleSession) -> None:
    response.set_cookie(
        COOKIE,
        encode(s, services.settings.sla_console_secret),
        max_age=max(int((s.expires_at - datetime.now(UTC)).total_seconds()), 0),
        **_cookie_attributes(request),
    )


def clear_cookie(request: Request, response: Response) -> None:
    """The browser drops the cookie (set again with the attributes it was set with)."""
    response.delete_cookie(COOKIE, **_cookie_attributes(request))


def navigation(principal: Principal | None) -> list[tuple[str, str]]:
    """The pages the key's roles may open, as (label, path)."""
    if principal is None:
        return []
    return [
        (label, path)
        for label, path, roles in NAVIGATION
        if any(principal.may(role) for role in roles)
    ]


def page(
    request: Request,
    services: Services,
    visit: Visit,
    template: str,
    status_code: int = 200,
    **context: Any,
) -> Response:
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "principal": visit.principal,
            "csrf": visit.session.csrf,
            "csrf_field": CSRF_FIELD,
            "navigation": navigation(visit.principal),
            **context,
        },
        status_code=status_code,
    )
    if visit.fresh:
        set_cookie(request, response, services, visit.session)
    # Scripts and styles come from the console's own files only (a type's color is an inline
    # style); pages are never framed, and signed-in pages are not kept by caches.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def to_sign_in(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/console/sign-in?{urlencode({'next': target})}", status_code=303)


def safe_next(target: str | None) -> str:
    """Only a console path: never a redirect to another site."""
    if target and target.startswith("/console/") and not target.startswith("//"):
        return target
    return "/console/cases"


async def form_of(request: Request, visit: Visit) -> dict[str, str] | None:
    """The posted form's fields, or None when its CSRF token is missing or wrong."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    return fields if csrf_matches(visit.session, fields.get(CSRF_FIELD)) else None


def forbidden(request: Request, services: Services, visit: Visit, message: str) -> Response:
    return page(request, services, visit, "message.html", 403, title="Not allowed", text=message)


async def signed_in(
    request: Request, services: Services, allowed: Callable[[Visit], bool], refusal: str
) -> Visit | Response:
    """The visit of a signed-in key that `allowed` admits; else the answer to send instead (to
    the sign-in page, or 403 with `refusal`)."""
    visit = await visit_of(request, services)
    if visit.principal is None:
        return to_sign_in(request)
    if not allowed(visit):
        return forbidden(request, services, visit, refusal)
    return visit
