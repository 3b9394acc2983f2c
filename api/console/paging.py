"""Paging of the console's long listings (at risk, deliveries, an entitlement's usage): a page
shows `size` rows, and its "Next" link carries the sort key of the last row shown (`?after=`), so
the next page seeks past it and rows written meanwhile never shift a page. The token is signed
with the console's secret for the address of the listing's first page (its path, which names an
entitlement's usage, and its filters), so an edited link, or one from another listing, is told
apart from a position and answered "start from the first page", never a 500. So is a signed key
the database could not take (text a case cannot store, an instant or a number past what its
columns hold): the listing's key types are bounded.
"""

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlencode

from pydantic import TypeAdapter, ValidationError

from api.deps import Services
from workflows.limits import unsafe_json_text

STALE_LINK = (
    "This page link is out of date or was changed, so it cannot say where the page starts: "
    "start from the first page."
)
MAX_TOKEN = 2000
"""An `after` token is far shorter (a few keys); a longer one is refused before it is read."""
Row = TypeVar("Row")
Key = TypeVar("Key")


class StaleLinkError(ValueError):
    """A page link whose `after` token this console did not sign for this listing: edited, cut
    short, from another listing (or the same one with other filters), or signed under a secret
    since changed."""


@dataclass(frozen=True)
class Cursor(Generic[Key]):
    """Where a page starts: after the row whose sort key is `key`, with `before` rows shown on
    the earlier pages (for "Showing rows 201-400")."""

    before: int
    key: Key


@dataclass(frozen=True)
class Pager:
    """What a page says of its place in the listing: the rows it shows (1-based; `last_row` <
    `first_row` when it shows none) and the links to the first and the next page (None on the
    first page, and on the last)."""

    noun: str
    size: int
    first_row: int
    last_row: int
    first_href: str | None
    next_href: str | None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise StaleLinkError(STALE_LINK) from error


def _href(path: str, params: Mapping[str, str]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


@dataclass(frozen=True)
class Listing(Generic[Row, Key]):
    """A listing shown `size` rows a page, in the order of `key_of`'s sort key, which `keys`
    validates when a link brings it back (bounded to what the database holds). Each token is
    signed for the address of the listing's first page, so one listing's link cannot position
    another."""

    noun: str
    size: int
    keys: TypeAdapter[Key]
    key_of: Callable[[Row], Key]

    @staticmethod
    def _signature(secret: str, first_page: str, payload: str) -> str:
        signed = f"{first_page}\n{payload}".encode()
        return _b64(hmac.new(secret.encode(), signed, hashlib.sha256).digest()[:18])

    def token(self, secret: str, cursor: Cursor[Key], first_page: str) -> str:
        """The opaque `after` token of `cursor` in the listing at `first_page`: its JSON, and an
        HMAC of it under `secret` (tokens are positions, not secrets; the signature only tells
        an edited one, or one of another listing)."""
        key = self.keys.dump_python(cursor.key, mode="json")
        payload = _b64(json.dumps({"n": cursor.before, "k": key}, separators=(",", ":")).encode())
        return f"{payload}.{self._signature(secret, first_page, payload)}"

    def cursor(self, secret: str, token: str | None, first_page: str) -> Cursor[Key] | None:
        """The cursor an `after` token names (None: the first page); `StaleLinkError` for any token
        this listing at `first_page` did not sign or cannot read."""
        if not token:
            return None
        payload, _, signature = token.partition(".")
        if len(token) > MAX_TOKEN or not token.isascii() or not signature:
            raise StaleLinkError(STALE_LINK)
        if not hmac.compare_digest(signature, self._signature(secret, first_page, payload)):
            raise StaleLinkError(STALE_LINK)
        raw = _unb64(payload)
        # The API's text rules (no NUL, no lone surrogate), as for any JSON a client sends.
        if unsafe_json_text(raw) is not None:
            raise StaleLinkError(STALE_LINK)
        try:
            body = json.loads(raw)
            before = body["n"]
            key = self.keys.validate_python(body["k"])
        except (ValueError, TypeError, KeyError, ValidationError) as error:
            raise StaleLinkError(STALE_LINK) from error
        if type(before) is not int or before < 0:
            raise StaleLinkError(STALE_LINK)
        return Cursor(before, key)

    def position(
        self, secret: str, token: str | None, path: str, params: Mapping[str, str]
    ) -> tuple[Cursor[Key] | None, bool]:
        """Where the page of an `after` token starts in the listing at `path` with the filters
        `params` (None: the first page), and whether the token was stale: then the page reads no
        rows and says to start from the first page."""
        try:
            return self.cursor(secret, token, _href(path, params)), False
        except StaleLinkError:
            return None, True

    def page(
        self,
        secret: str,
        fetched: Sequence[Row],
        cursor: Cursor[Key] | None,
        path: str,
        params: Mapping[str, str],
        *,
        stale: bool = False,
    ) -> tuple[list[Row], Pager]:
        """The rows to show of `fetched` (read with a limit of `size + 1`: a row beyond the page
        says there is a next one) and the pager, whose links keep `params` (the filters). A
        stale link's page shows no rows, and its pager only leads back to the first page."""
        if stale:
            return [], Pager(self.noun, self.size, 1, 0, _href(path, params), None)
        shown = list(fetched[: self.size])
        before = cursor.before if cursor is not None else 0
        next_href = None
        if len(fetched) > self.size:
            after = Cursor(before + len(shown), self.key_of(shown[-1]))
            token = self.token(secret, after, _href(path, params))
            next_href = _href(path, {**params, "after": token})
        return shown, Pager(
            noun=self.noun,
            size=self.size,
            first_row=before + 1,
            last_row=before + len(shown),
            first_href=None if cursor is None else _href(path, params),
            next_href=next_href,
        )


def console_secret(services: Services) -> str:
    """The secret page tokens are signed with: the session cookie's (`SLA_CONSOLE_SECRET`)."""
    return services.settings.sla_console_secret
