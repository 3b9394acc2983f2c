"""Where the HTTP handlers send: a URL's host resolved once, its addresses checked, and the result
pinned, so the request connects to an address that was checked and never resolves the host again
(a name answering a public address to the check and 127.0.0.1 to the connection gets nowhere).

Resolution goes through one function, `ActionSettings.resolve` (the system resolver unless a test
replaces it at this edge).
"""

import ipaddress
import socket
from collections.abc import Callable, Sequence
from fnmatch import fnmatch

import httpx

from activities.addresses import internal_reason
from activities.http import Destination, failed, rejected

Resolver = Callable[[str], Sequence[str]]
"""A host name (IDNA-encoded) to its addresses, best first; raises OSError when it has none."""


def resolve_host(host: str) -> list[str]:
    """The system resolver's answer, in its order of preference (RFC 6724)."""
    answers = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [str(answer[4][0]) for answer in answers]


def parse_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise rejected(f"invalid URL {url!r}: {error}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise rejected(f"URL {url!r} must be http or https with a host")
    return parsed


def locate(url: httpx.URL, resolve: Resolver) -> Destination:
    """`url` with its host's addresses: the literal itself, or what one call of `resolve`
    answers (the only lookup: requests connect to these)."""
    try:
        ipaddress.ip_address(url.host)
    except ValueError:
        pass  # a name
    else:
        return Destination(url, (url.host,))
    try:
        answers = resolve(url.raw_host.decode("ascii"))
    except OSError as error:
        raise failed(f"cannot resolve {url.host}: {error}") from None
    # A zone id ("fe80::1%eth0") cannot go into a URL; link-local is refused unless allowed.
    addresses = tuple(dict.fromkeys(answer.split("%")[0] for answer in answers))
    if not addresses:
        raise failed(f"{url.host} has no address")
    return Destination(url, addresses)


def check_destination(url: str, allowed_hosts: list[str], resolve: Resolver) -> Destination:
    """Where a configured `url` may be sent, or a refusal.

    A host must match `allowed_hosts` when it is set; one matching it may be internal. Any other
    host is refused when an address it answers is internal, itself or by an IPv4 address it
    embeds.
    """
    parsed = parse_url(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    named = any(
        fnmatch(parsed.host, pattern) or fnmatch(f"{parsed.host}:{port}", pattern)
        for pattern in allowed_hosts
    )
    if allowed_hosts and not named:
        raise rejected(f"host {parsed.host} is not in SLA_WEBHOOK_ALLOWED_HOSTS: add it to call it")
    destination = locate(parsed, resolve)
    if named:
        return destination
    for address in destination.addresses:
        reason = internal_reason(ipaddress.ip_address(address))
        if reason is not None:
            raise rejected(
                f"host {parsed.host} resolves to the internal address {address}{reason}: name it "
                "in SLA_WEBHOOK_ALLOWED_HOSTS to allow it"
            )
    return destination
