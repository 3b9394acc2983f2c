"""API keys: how a key is made, the hash that is stored and compared, and who holds a key (a
`Principal` with its roles)."""

import hashlib
import secrets
from dataclasses import dataclass

from api.schemas import Role

PREFIX_LENGTH = 8
"""How much of a key its listing shows, to tell keys apart: "sla_" and 4 random characters."""


def new_key() -> str:
    """A fresh key: 256 random bits, prefixed so it is recognisable in a leak scan."""
    return "sla_" + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """SHA-256 suffices: keys are 256-bit random, so there is nothing to brute-force."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is calling: an API key's id (None for the bootstrap key), name and roles."""

    key_id: int | None
    name: str
    roles: frozenset[Role]

    def may(self, role: Role) -> bool:
        return "admin" in self.roles or role in self.roles
