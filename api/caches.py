"""The API process's own caches: verified API keys (a few seconds), answers of configuration
reads (a second), and published process versions (for good: they never change). Each is bounded
and thread-safe; a write through this process clears what it makes stale."""

import time
from threading import Lock

from api.keys import Principal
from api.schemas import ProcessVersionPublic


class KeyCache:
    """Verified key hashes (and unknown ones) for a few seconds: reads skip the database."""

    def __init__(self, ttl: float, size: int = 10_000) -> None:
        self.ttl = ttl
        self._size = size
        self._entries: dict[str, tuple[float, Principal | None]] = {}
        self._lock = Lock()

    def get(self, key_hash: str) -> tuple[bool, Principal | None]:
        entry = self._entries.get(key_hash)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def put(self, key_hash: str, principal: Principal | None) -> None:
        with self._lock:
            if len(self._entries) >= self._size:
                self._entries.clear()
            self._entries[key_hash] = (time.monotonic() + self.ttl, principal)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class ResponseCache:
    """Answers of configuration reads, as JSON bytes, for `ttl` seconds.

    Every configuration write through this process clears it, so this process always answers
    its own writes; another API process may answer from its copy for up to `ttl` seconds more
    (`SLA_CONFIG_CACHE_SECONDS`, 0 turns the cache off). Published versions are immutable and
    cached for good in `VersionCache`; this cache spares the database the hot listings.
    """

    def __init__(self, ttl: float, size: int = 1000) -> None:
        self.ttl = ttl
        self._size = size
        self._entries: dict[str, tuple[float, bytes]] = {}
        self._lock = Lock()
        self.generation = 0
        """Bumped by every clear: an answer read before a write is not cached after it."""

    def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key: str, body: bytes, generation: int) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if generation != self.generation:
                return
            if len(self._entries) >= self._size:
                self._entries.clear()
            self._entries[key] = (time.monotonic() + self.ttl, body)

    def clear(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()


class VersionCache:
    """Published versions by (process id, version). Safe to keep for the app's life: a version
    is immutable and its id pair is never reused while its row exists."""

    def __init__(self, size: int = 2048) -> None:
        self._versions: dict[tuple[int, int], ProcessVersionPublic] = {}
        self._size = size
        self._lock = Lock()

    def get(self, key: tuple[int, int]) -> ProcessVersionPublic | None:
        return self._versions.get(key)

    def put(self, version: ProcessVersionPublic) -> None:
        with self._lock:
            if len(self._versions) >= self._size:
                self._versions.pop(next(iter(self._versions)))
            self._versions[(version.process_id, version.version)] = version
