"""Signed JSON over HTTP for the action handlers: how a body is signed, how it reaches the
addresses `activities.destinations` checked, and what an answer means for retrying.

The request connects to a checked address, never to what a new lookup of the host answers; it
still names the host in `Host`, and for https in the TLS server name, against which the
certificate is verified.

2xx is delivered. 408, 429, 5xx and network errors are retried with backoff. Any other answer
(4xx, or a redirect, which is never followed) is final: retrying cannot change it.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Destination:
    """A URL as configured, and the addresses its host answered once (checked, for a webhook)."""

    url: httpx.URL
    addresses: tuple[str, ...]


def send_json(
    method: str,
    destination: Destination,
    payload: dict[str, Any],
    *,
    idempotency_key: str,
    secret: bytes | None,
    timeout: float,
    bearer: str | None = None,
) -> int:
    """Send `payload`; the HTTP status of a 2xx answer, else the matching failure."""
    url = destination.url
    body = canonical_json(payload)
    headers = {
        "Host": url.netloc.decode("ascii"),
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
            response = _send_pinned(client, method, destination, body, headers)
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


def _send_pinned(
    client: httpx.Client,
    method: str,
    destination: Destination,
    body: bytes,
    headers: dict[str, str],
) -> httpx.Response:
    url = destination.url
    # The certificate is checked against the server name (httpcore's `sni_hostname`): it must be
    # the host, not the address connected to.
    tls = {"sni_hostname": url.raw_host.decode("ascii")} if url.scheme == "https" else {}

    def send_to(address: str) -> httpx.Response:
        pinned = url.copy_with(host=address)
        return client.request(method, pinned, content=body, headers=headers, extensions=tls)

    *others, last = destination.addresses
    for address in others:
        try:
            return send_to(address)
        except (httpx.ConnectError, httpx.ConnectTimeout):
            continue  # nothing was sent: the next checked address, as a plain connect does
    return send_to(last)
