"""The `email` handler: a plain-text and an HTML message rendered from templates, over SMTP
(STARTTLS and login when configured). Named `mail`, not `email`, so it never shadows the
standard library's `email` package.

Templates use `$name` placeholders: `$case_id`, `$milestone`, `$instance`, `$event`, `$kind`,
`$level`, `$target_at`, `$occurred_at`, `$process`, and `$field_<name>` for each case field
(`$field_priority`). In the HTML body every value is escaped.

Every header value is one plain line: recipients and the sender must be plain addresses, and the
rendered subject loses its control characters and encoded-word openers (`=?` becomes `= ?`), since
Python 3.11's email library decodes an encoded word while folding a header and writes out the
line breaks it holds (CVE-2024-6923): a case field could otherwise add headers and a body.
"""

import hashlib
import html
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr
from string import Template
from typing import Any

from activities.http import failed, rejected
from activities.settings import ActionSettings
from workflows.contract import ActionRequest

DEFAULT_SUBJECT = "[SLA] $milestone $event on case $case_id"
DEFAULT_TEXT = (
    "Case $case_id ($process): milestone $milestone (instance $instance) $event.\n"
    "Target: $target_at\nAt: $occurred_at\nPriority: $field_priority\n"
)
EVENT_WORDS = {"success": "completed", "warning": "is nearing its target", "violation": "missed"}
PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
)
"""`local@domain` in ASCII: no display name, comment, quoting, whitespace or control character."""
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def template_values(request: ActionRequest) -> dict[str, str]:
    values = {
        "case_id": request.case_id,
        "milestone": request.milestone,
        "instance": str(request.instance),
        "event": EVENT_WORDS[request.kind],
        "kind": request.kind,
        "level": str(request.n),
        "target_at": request.target_at.isoformat() if request.target_at else "none",
        "occurred_at": request.due_at.isoformat(),
        "process": f"{request.process} v{request.process_version}",
    }
    values |= {f"field_{name}": str(value) for name, value in request.case_fields.items()}
    values.setdefault("field_priority", "unset")
    return values


def header_line(value: str) -> str:
    """`value` as one safe header line: control characters become spaces, whitespace runs
    collapse, and the encoded-word opener `=?` is broken up, so nothing is decoded into a break."""
    return " ".join(CONTROL.sub(" ", value).split()).replace("=?", "= ?")


def is_plain_address(value: object) -> bool:
    return isinstance(value, str) and bool(PLAIN_ADDRESS.fullmatch(value)) and "=?" not in value


def recipients_of(params: dict[str, Any]) -> list[str]:
    recipients = params.get("to")
    if isinstance(recipients, str):
        recipients = [recipients]
    if not recipients or not isinstance(recipients, list):
        raise rejected("an email action needs params.to: an address or a list of addresses")
    for recipient in recipients:
        if not is_plain_address(recipient):
            raise rejected(
                f"params.to holds {recipient!r}, which is not a plain address: give addresses "
                "like lead@example.com, without names, line breaks or encoded words"
            )
    return recipients


def template(params: dict[str, Any], name: str, default: str) -> Template:
    text = params.get(name, default)
    if not isinstance(text, str):
        raise rejected(
            f"params.{name} must be a text template with $placeholders, "
            f"not a {type(text).__name__}: write it as a string"
        )
    return Template(text)


TEMPLATES = {"subject": DEFAULT_SUBJECT, "text": DEFAULT_TEXT, "html": ""}


def email_params(params: dict[str, Any]) -> list[str]:
    """The recipients of an email action, after checking its templates; or its refusal."""
    for name, default in TEMPLATES.items():
        template(params, name, default)
    return recipients_of(params)


def render_message(request: ActionRequest, sender: str) -> EmailMessage:
    params = request.params
    recipients = email_params(params)
    if not is_plain_address(sender):
        raise rejected(
            f"SLA_MAIL_FROM is {sender!r}, which is not a plain address: set it to one like "
            "sla@example.com on the worker"
        )
    values = template_values(request)
    subject = template(params, "subject", TEMPLATES["subject"]).safe_substitute(values)
    text = template(params, "text", TEMPLATES["text"]).safe_substitute(values)
    message = EmailMessage()
    message["From"] = formataddr(("SLA milestones", sender))
    message["To"] = ", ".join(recipients)
    message["Subject"] = header_line(subject)
    digest = hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:32]
    # A stable Message-ID lets mail systems drop a message sent twice after a crash.
    message["Message-ID"] = f"<{digest}@sla-milestones>"
    message["Idempotency-Key"] = header_line(request.idempotency_key)
    message.set_content(text)
    if "html" in params:
        escaped = {name: html.escape(value) for name, value in values.items()}
        body = template(params, "html", "").safe_substitute(escaped)
        message.add_alternative(body, subtype="html")
    return message


def send_email(request: ActionRequest, settings: ActionSettings) -> str:
    message = render_message(request, settings.mail_from)
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.http_timeout_seconds
        ) as smtp:
            if settings.smtp_starttls:
                context = ssl.create_default_context(cafile=settings.smtp_ca_file)
                smtp.starttls(context=context)
            if settings.smtp_username:
                password = (
                    settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                )
                smtp.login(settings.smtp_username, password)
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        raise rejected(f"every recipient was refused: {error.recipients}") from None
    except smtplib.SMTPAuthenticationError as error:
        raise rejected(f"SMTP login refused: {error.smtp_code} {error.smtp_error!r}") from None
    except smtplib.SMTPResponseException as error:
        answer = f"SMTP answered {error.smtp_code} {error.smtp_error!r}"
        raise (rejected(answer) if 500 <= error.smtp_code < 600 else failed(answer)) from None
    except (OSError, smtplib.SMTPException) as error:
        raise failed(f"SMTP {settings.smtp_host}:{settings.smtp_port} failed: {error}") from None
    return f"mail to {message['To']} accepted"
