"""Signed JSON over HTTP for the action handlers: where they may connect, how a body is signed,
and what an answer means for retrying.

2xx is delivered. 408, 429, 5xx and network errors are retried with backoff. Any other answer
(4xx, or a redirect, which is never followed) is final: retrying cannot change it.
"""

import hashlib
import hmac
import ipaddress
import json
import socket
from fnmatch import fnmatch
from typing import Any

import httpx
from temporalio.exceptions import ApplicationError

from workflows.contract import DELIVERY_FAILED, DELIVERY_REJECTED

RETRYABLE_STATUS = {408, 425, 429}
USER_AGENT = "sla-milestones/0.1"


def rejected(message: str) -> ApplicationError:
    """A failure retrying cannot fix (the delivery is recorded as failed at once)."""
    return ApplicationError(message, type=DELIVERY_REJECTED, non_retryable=True)


def failed(message: str) -> ApplicationError:
    """A failure worth retrying with backoff."""
    return ApplicationError(message, type=DELIVERY_FAILED)


def sign(body: bytes, secret: bytes) -> str:
    """The `X-SLA-Signature` header value: `sha256=<hex HMAC of the body>`."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def canonical_json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()


def check_destination(url: str, allowed_hosts: list[str], trusted: str | None = None) -> None:
    """Refuse URLs a configuration must not make the worker call.

    `trusted` is a base URL the operator configured (the case system): calls under it pass.
    """
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise rejected(f"invalid URL {url!r}: {error}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise rejected(f"URL {url!r} must be http or https with a host")
    if trusted is not None and url.startswith(trusted.rstrip("/") + "/"):
        return
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    named = any(
        fnmatch(parsed.host, pattern) or fnmatch(f"{parsed.host}:{port}", pattern)
        for pattern in allowed_hosts
    )
    if allowed_hosts and not named:
        raise rejected(f"host {parsed.host} is not in SLA_WEBHOOK_ALLOWED_HOSTS: add it to call it")
    if named:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parsed.host, port)}
    except socket.gaierror as error:
        raise failed(f"cannot resolve {parsed.host}: {error}") from None
    for address in addresses:
        ip = ipaddress.ip_address(str(address).split("%")[0])
        if not ip.is_global:
            raise rejected(
                f"host {parsed.host} resolves to the internal address {ip}: name it in "
                "SLA_WEBHOOK_ALLOWED_HOSTS to allow it"
            )


def send_json(
    method: str,
    url: str,
    payload: dict[str, Any],
    *,
    idempotency_key: str,
    secret: bytes | None,
    timeout: float,
    bearer: str | None = None,
) -> int:
    """Send `payload`; the HTTP status of a 2xx answer, else the matching failure."""
    body = canonical_json(payload)
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": idempotency_key,
        "User-Agent": USER_AGENT,
    }
    if secret is not None:
        headers["X-SLA-Signature"] = sign(body, secret)
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            response = client.request(method, url, content=body, headers=headers)
    except httpx.TimeoutException:
        raise failed(f"{method} {url} timed out after {timeout:.0f} s") from None
    except httpx.HTTPError as error:
        raise failed(f"{method} {url} failed: {error}") from None
    status = response.status_code
    if 200 <= status < 300:
        return status
    answer = f"{method} {url} answered {status} {response.text[:200]!r}"
    if status in RETRYABLE_STATUS or status >= 500:
        raise failed(answer)
    if 300 <= status < 400:
        raise rejected(f"{answer}: redirects are not followed; configure the final URL")
    raise rejected(answer)
