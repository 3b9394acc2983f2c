"""The `email` handler: a plain-text and an HTML message rendered from templates, over SMTP
(STARTTLS and login when configured). Named `mail`, not `email`, so it never shadows the
standard library's `email` package.

Templates use `$name` placeholders: `$case_id`, `$milestone`, `$instance`, `$event`, `$kind`,
`$level`, `$target_at`, `$occurred_at`, `$process`, and `$field_<name>` for each case field
(`$field_priority`). In the HTML body every value is escaped.
"""

import hashlib
import html
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr
from string import Template

from activities.http import failed, rejected
from activities.settings import ActionSettings
from workflows.contract import ActionRequest

DEFAULT_SUBJECT = "[SLA] $milestone $event on case $case_id"
DEFAULT_TEXT = (
    "Case $case_id ($process): milestone $milestone (instance $instance) $event.\n"
    "Target: $target_at\nAt: $occurred_at\nPriority: $field_priority\n"
)
EVENT_WORDS = {"success": "completed", "warning": "is nearing its target", "violation": "missed"}


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


def render_message(request: ActionRequest, sender: str) -> EmailMessage:
    params = request.params
    recipients = params.get("to")
    if isinstance(recipients, str):
        recipients = [recipients]
    if not recipients or not all(isinstance(r, str) and "@" in r for r in recipients):
        raise rejected("an email action needs params.to: an address or a list of addresses")
    values = template_values(request)
    message = EmailMessage()
    message["From"] = formataddr(("SLA milestones", sender))
    message["To"] = ", ".join(recipients)
    message["Subject"] = Template(str(params.get("subject", DEFAULT_SUBJECT))).safe_substitute(
        values
    )
    digest = hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:32]
    # A stable Message-ID lets mail systems drop a message sent twice after a crash.
    message["Message-ID"] = f"<{digest}@sla-milestones>"
    message["Idempotency-Key"] = request.idempotency_key
    message.set_content(Template(str(params.get("text", DEFAULT_TEXT))).safe_substitute(values))
    if "html" in params:
        escaped = {name: html.escape(value) for name, value in values.items()}
        message.add_alternative(
            Template(str(params["html"])).safe_substitute(escaped), subtype="html"
        )
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
