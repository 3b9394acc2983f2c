"""The action handlers against a real HTTP receiver and a real SMTP server."""

import ssl
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities import ActionHandlers
from database.engine import transaction
from database.models import DeliveryRecord
from tests.helpers.actions import action, settings_for
from tests.helpers.receivers import Mailbox, Receiver, free_port, self_signed_certificate
from workflows.contract import ActionResult, DeliveryFailure


def run(activity: Any, argument: Any) -> Any:
    return ActivityEnvironment().run(activity, argument)


def record(database_url: str, key: str) -> DeliveryRecord:
    with transaction(database_url) as session:
        found = session.get(DeliveryRecord, key)
        assert found is not None
        return found


def failure_of(activity: Any, argument: Any) -> ApplicationError:
    with pytest.raises(ApplicationError) as raised:
        run(activity, argument)
    return raised.value


class TestWebhook:
    def test_posts_the_signed_payload_with_the_key(
        self, handlers: ActionHandlers, receiver: Receiver
    ) -> None:
        request = action(params={"url": f"{receiver.url}/hooks/sla"})
        result = run(handlers.webhook, request)
        assert result == ActionResult(
            status="delivered", attempts=1, detail=f"{receiver.url}/hooks/sla answered 200"
        )
        (delivery,) = receiver.accepted
        assert (delivery.method, delivery.path, delivery.key) == (
            "POST",
            "/hooks/sla",
            "SH-7/First Response/1/violation/1",
        )
        assert delivery.body == {
            "event": "milestone.violated",
            "case_id": "SH-7",
            "milestone": "First Response",
            "instance": 1,
            "level": 1,
            "target_at": "2026-12-01T14:00:00+00:00",
            "occurred_at": "2026-12-01T14:30:00+00:00",
            "idempotency_key": "SH-7/First Response/1/violation/1",
        }
        assert receiver.bad_signatures == 0

    def test_a_delivered_key_is_never_sent_again(
        self, handlers: ActionHandlers, receiver: Receiver
    ) -> None:
        request = action(params={"url": receiver.url})
        run(handlers.webhook, request)
        again = run(handlers.webhook, request)
        assert again.detail == "already delivered"
        assert receiver.sent() == {request.idempotency_key: 1}
        assert record(handlers.settings.database_url, request.idempotency_key).status == "delivered"

    @pytest.mark.parametrize("status", [500, 503, 408, 429])
    def test_transient_answers_are_retried(
        self, handlers: ActionHandlers, receiver: Receiver, status: int
    ) -> None:
        receiver.answer = status
        request = action(params={"url": receiver.url})
        error = failure_of(handlers.webhook, request)
        assert (error.type, error.non_retryable) == ("DeliveryFailed", False)
        assert f"answered {status}" in error.message
        logged = record(handlers.settings.database_url, request.idempotency_key)
        assert (logged.status, logged.attempts) == ("pending", 1)
        receiver.answer = 200
        assert run(handlers.webhook, request).attempts == 2
        assert receiver.sent() == {request.idempotency_key: 1}

    def test_a_400_is_final(self, handlers: ActionHandlers, receiver: Receiver) -> None:
        receiver.answer = 400
        request = action(params={"url": receiver.url})
        error = failure_of(handlers.webhook, request)
        assert (error.type, error.non_retryable) == ("DeliveryRejected", True)
        logged = record(handlers.settings.database_url, request.idempotency_key)
        assert logged.status == "failed"
        assert "answered 400" in (logged.last_error or "")

    def test_a_redirect_is_not_followed(self, handlers: ActionHandlers, receiver: Receiver) -> None:
        receiver.answer = 302
        error = failure_of(handlers.webhook, action(params={"url": receiver.url}))
        assert error.non_retryable
        assert "redirects are not followed" in error.message

    def test_a_receiver_that_is_down_is_retried(self, handlers: ActionHandlers) -> None:
        port = free_port()
        handlers.settings.webhook_allowed_hosts.append(f"127.0.0.1:{port}")
        error = failure_of(handlers.webhook, action(params={"url": f"http://127.0.0.1:{port}/"}))
        assert (error.type, error.non_retryable) == ("DeliveryFailed", False)

    @pytest.mark.parametrize(
        ("allowed", "url", "message"),
        [
            (["crm.example.com"], "http://127.0.0.1:9/x", "host 127.0.0.1 is not in SLA_WEBHOOK"),
            ([], "http://127.0.0.1:9/x", "resolves to the internal address 127.0.0.1"),
            ([], "http://10.1.2.3/x", "resolves to the internal address 10.1.2.3"),
            ([], "http://169.254.169.254/latest/meta-data", "internal address 169.254.169.254"),
            ([], "file:///etc/passwd", "must be http or https"),
        ],
    )
    def test_a_configuration_cannot_reach_internal_addresses(
        self, clean_log: str, allowed: list[str], url: str, message: str
    ) -> None:
        handlers = ActionHandlers(settings_for(clean_log, webhook_allowed_hosts=allowed))
        error = failure_of(handlers.webhook, action(params={"url": url}))
        assert error.non_retryable
        assert message in error.message

    def test_the_secret_must_be_configured(
        self, handlers: ActionHandlers, receiver: Receiver
    ) -> None:
        error = failure_of(handlers.webhook, action(params={"url": receiver.url, "secret": "crm"}))
        assert error.message == (
            "no webhook secret named 'crm': set it in SLA_WEBHOOK_SECRETS on the worker"
        )

    def test_an_attempt_under_way_holds_the_action(
        self, handlers: ActionHandlers, receiver: Receiver
    ) -> None:
        # An attempt that timed out for Temporal may still be sending in its thread: a retry
        # during its lease must not send a second time.
        request = action(params={"url": receiver.url})
        assert handlers.log.begin(request, timedelta(minutes=1))
        error = failure_of(handlers.webhook, request)
        assert (error.type, error.non_retryable) == ("DeliveryFailed", False)
        assert "may still be under way until" in error.message
        assert receiver.attempts == {}
        handlers.log.attempt_failed(request, "timed out", final=False)
        assert run(handlers.webhook, request).attempts == 2
        assert receiver.sent() == {request.idempotency_key: 1}

    def test_the_workflow_giving_up_marks_the_delivery_failed(
        self, handlers: ActionHandlers, receiver: Receiver
    ) -> None:
        receiver.answer = 503
        request = action(params={"url": receiver.url})
        failure_of(handlers.webhook, request)
        run(handlers.delivery_failed, DeliveryFailure(request=request, error="expired after 6h"))
        logged = record(handlers.settings.database_url, request.idempotency_key)
        assert (logged.status, logged.last_error) == ("failed", "expired after 6h")


class TestCaseSystem:
    def test_case_update_patches_the_case(self, clean_log: str, receiver: Receiver) -> None:
        handlers = ActionHandlers(settings_for(clean_log, case_system_url=f"{receiver.url}/api"))
        run(handlers.case_update, action("case_update", {"fields": {"escalated": True}}))
        (delivery,) = receiver.accepted
        assert (delivery.method, delivery.path) == ("PATCH", "/api/cases/SH-7")
        assert delivery.body["fields"] == {"escalated": True}
        assert delivery.body["event"] == "milestone.violated"

    def test_escalate_reassigns_to_a_queue(self, clean_log: str, receiver: Receiver) -> None:
        handlers = ActionHandlers(settings_for(clean_log, case_system_url=receiver.url))
        run(handlers.escalate, action("escalate", {"queue": "tier2"}, n=2))
        (delivery,) = receiver.accepted
        assert (delivery.method, delivery.path) == ("POST", "/cases/SH-7/escalations")
        assert (delivery.body["queue"], delivery.body["level"]) == ("tier2", 2)

    def test_without_a_case_system_nothing_can_be_called(self, handlers: ActionHandlers) -> None:
        error = failure_of(handlers.escalate, action("escalate", {"queue": "tier2"}))
        assert error.message == "no case system to call: set SLA_CASE_SYSTEM_URL on the worker"


def received(mailbox: Mailbox) -> Message:
    (envelope,) = mailbox.messages
    assert isinstance(envelope.content, bytes)
    return message_from_bytes(envelope.content)


class TestEmail:
    def test_plain_and_html_bodies_from_templates(self, clean_log: str, mailbox: Mailbox) -> None:
        handlers = ActionHandlers(settings_for(clean_log, smtp_port=mailbox.port))
        params = {
            "to": ["lead@stormhaven.test"],
            "subject": "$milestone missed on $case_id ($field_priority)",
            "html": "<p>Case <b>$case_id</b>: $field_subject</p>",
        }
        run(handlers.email, action("email", params))
        message = received(mailbox)
        assert message["Subject"] == "First Response missed on SH-7 (High)"
        assert message["To"] == "lead@stormhaven.test"
        assert message["Idempotency-Key"] == "SH-7/First Response/1/violation/1"
        text, html = (
            part.get_payload(decode=True).decode()
            for part in message.walk()
            if part.get_content_maintype() == "text"
        )
        assert text.startswith(
            "Case SH-7 (Premium v3): milestone First Response (instance 1) missed."
        )
        assert html.strip() == "<p>Case <b>SH-7</b>: Printer &lt;on fire&gt;</p>"

    def test_starttls_and_login(self, clean_log: str, tmp_path: Path) -> None:
        cert, key = self_signed_certificate(tmp_path)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        secure = Mailbox(tls_context=context, users={"sla": "hunter2"}).start()
        try:
            settings = {
                "smtp_host": "localhost",
                "smtp_port": secure.port,
                "smtp_starttls": True,
                "smtp_ca_file": str(cert),
                "smtp_username": "sla",
            }
            good = ActionHandlers(settings_for(clean_log, smtp_password="hunter2", **settings))
            run(good.email, action("email", {"to": "lead@stormhaven.test"}))
            assert len(secure.messages) == 1
            bad = ActionHandlers(settings_for(clean_log, smtp_password="wrong", **settings))
            error = failure_of(bad.email, action("email", {"to": "x@y.test"}, n=2))
            assert error.non_retryable
            assert error.message.startswith("SMTP login refused: 535")
        finally:
            secure.stop()

    def test_smtp_down_is_retried(self, clean_log: str) -> None:
        handlers = ActionHandlers(settings_for(clean_log, smtp_port=free_port()))
        error = failure_of(handlers.email, action("email", {"to": "lead@stormhaven.test"}))
        assert (error.type, error.non_retryable) == ("DeliveryFailed", False)

    def test_recipients_are_required(self, clean_log: str, mailbox: Mailbox) -> None:
        handlers = ActionHandlers(settings_for(clean_log, smtp_port=mailbox.port))
        error = failure_of(handlers.email, action("email", {"to": "not-an-address"}))
        assert error.message.startswith("an email action needs params.to")
