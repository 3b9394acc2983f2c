"""Real peers for the action handlers: an HTTP receiver and an SMTP server on 127.0.0.1.

The receiver verifies each body's signature and counts deliveries per idempotency key, as a
careful case system would; it can refuse the first attempts, answer 400, be down for a while, or
serve HTTPS with a given certificate.
"""

import hashlib
import hmac
import json
import socket
import ssl
import subprocess
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

SECRET = "receiver-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Delivery:
    method: str
    path: str
    host: str
    """The `Host` header: the name the sender meant, whatever address it connected to."""
    key: str
    body: dict[str, Any]
    received_at: datetime


@dataclass
class Receiver:
    """An HTTP endpoint that accepts signed JSON once per idempotency key."""

    port: int = field(default_factory=free_port)
    fail_first: int = 0
    """Answer 500 to this many requests before accepting."""
    answer: int = 200
    accepted: list[Delivery] = field(default_factory=list)
    """Deliveries processed: the first accepted post of each key."""
    repeats: Counter[str] = field(default_factory=Counter)
    """Later posts of a key already processed: answered 200 and dropped, as DESIGN.md asks of
    receivers (a sender killed between our 200 and its own record must send again)."""
    attempts: Counter[str] = field(default_factory=Counter)
    bad_signatures: int = 0
    """Complete requests whose signature does not match their body."""
    torn: int = 0
    """Requests whose body ended before its Content-Length: the sender died mid-send (a worker
    killed with -9). They carry no complete body to verify, and get no answer."""
    tls_context: ssl.SSLContext | None = None
    """Serve HTTPS with this server context (see `self_signed_certificate`)."""
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        scheme = "https" if self.tls_context else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def keys(self) -> Counter[str]:
        """Deliveries processed per key."""
        return Counter(delivery.key for delivery in self.accepted)

    def sent(self) -> Counter[str]:
        """Posts answered 200 per key, repeats included: what the sender actually sent."""
        return self.keys() + self.repeats

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver._handle(self)

            def do_PATCH(self) -> None:
                receiver._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.allow_reuse_address = True
        if self.tls_context is not None:
            # The handshake runs in accept(): a client refusing the certificate never gets a
            # request through, and the server only drops that connection.
            self._server.socket = self.tls_context.wrap_socket(
                self._server.socket, server_side=True
            )
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length", 0))
        body = request.rfile.read(length)
        if len(body) < length:
            with self._lock:
                self.torn += 1
            request.close_connection = True
            return
        key = request.headers.get("Idempotency-Key", "")
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        with self._lock:
            self.attempts[key] += 1
            if not hmac.compare_digest(request.headers.get("X-SLA-Signature", ""), expected):
                self.bad_signatures += 1
                status = 401
            elif self.fail_first > 0:
                self.fail_first -= 1
                status = 500
            else:
                status = self.answer
                if status == 200 and key in self.keys():
                    self.repeats[key] += 1
                elif status == 200:
                    self.accepted.append(
                        Delivery(
                            request.command,
                            request.path,
                            request.headers.get("Host", ""),
                            key,
                            json.loads(body),
                            datetime.now(UTC),
                        )
                    )
        request.send_response(status)
        request.send_header("Content-Length", "0")
        request.end_headers()


@dataclass
class Mailbox:
    """An SMTP server that keeps every message it accepts."""

    port: int = field(default_factory=free_port)
    messages: list[Envelope] = field(default_factory=list)
    tls_context: ssl.SSLContext | None = None
    users: dict[str, str] = field(default_factory=dict)
    _controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:  # noqa: N802
        self.messages.append(envelope)
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and self.users.get(data.login.decode()) == data.password.decode()
        )
        return AuthResult(success=ok, handled=False)

    def start(self) -> "Mailbox":
        secure = self.tls_context is not None
        self._controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="localhost",
            tls_context=self.tls_context,
            require_starttls=secure,
            authenticator=self.authenticate if self.users else None,
            auth_require_tls=secure,
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for `localhost` (and its key) made with the openssl CLI."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def tls_server_context(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context presenting a fresh self-signed `localhost` certificate, and the
    certificate, for clients to trust."""
    cert, key = self_signed_certificate(directory)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context, cert
