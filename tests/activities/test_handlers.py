"""The action handlers against a real HTTP receiver and a real SMTP server."""

from datetime import timedelta
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities import ActionHandlers
from database.engine import transaction
from database.models import DeliveryRecord, MilestoneRecordRow
from tests.helpers.actions import Names, action, settings_for
from tests.helpers.receivers import Mailbox, Receiver, free_port, tls_server_context
from tests.helpers.records import milestone_record, record_batch
from workflows.contract import (
    ACTION_HANDLERS,
    DELIVERY_FAILED_HANDLER,
    WRITE_RECORDS,
    ActionRequest,
    ActionResult,
    DeliveryFailure,
)


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
        failure_of(handlers.webhook, request)
        gave_up = DeliveryFailure(request=request, error="expired after 6h")
        assert run(handlers.delivery_failed, gave_up) == 2
        logged = record(handlers.settings.database_url, request.idempotency_key)
        assert (logged.status, logged.attempts) == ("failed", 2)
        assert logged.last_error == "expired after 6h"

    def test_giving_up_on_an_action_never_attempted_answers_no_attempts(
        self, handlers: ActionHandlers
    ) -> None:
        never = DeliveryFailure(request=action(params={"url": "x"}), error="worker down")
        assert run(handlers.delivery_failed, never) == 0

    def test_the_result_counts_the_attempts_the_log_holds(
        self, handlers: ActionHandlers, receiver: Receiver
    ) -> None:
        receiver.fail_first = 2
        request = action(params={"url": receiver.url})
        refused = [failure_of(handlers.webhook, request).non_retryable for _ in range(2)]
        assert refused == [False, False]
        result = run(handlers.webhook, request)
        logged = record(handlers.settings.database_url, request.idempotency_key)
        assert result.attempts == logged.attempts == 3
        assert run(handlers.webhook, request).attempts == 3

    def test_the_case_system_secret_cannot_sign_a_webhook(
        self, handlers: ActionHandlers, receiver: Receiver
    ) -> None:
        request = action(params={"url": receiver.url, "secret": "case_system"})
        error = failure_of(handlers.webhook, request)
        assert (error.type, error.non_retryable) == ("DeliveryRejected", True)
        assert error.message == (
            "params.secret 'case_system' signs the calls to your case system only: "
            "name another secret of SLA_WEBHOOK_SECRETS"
        )
        assert receiver.attempts == {}
        logged = record(handlers.settings.database_url, request.idempotency_key)
        assert (logged.status, logged.attempts) == ("failed", 1)

    def test_an_error_retrying_cannot_change_is_final(self, handlers: ActionHandlers) -> None:
        def misconfigured(request: ActionRequest, settings: Any) -> str:
            raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")

        request = action(params={"url": "x"})
        with pytest.raises(ApplicationError) as raised:
            ActivityEnvironment().run(handlers._run, request, misconfigured)
        assert (raised.value.type, raised.value.non_retryable) == ("DeliveryRejected", True)
        assert "fix the action" in raised.value.message
        logged = record(handlers.settings.database_url, request.idempotency_key)
        assert (logged.status, logged.attempts) == ("failed", 1)
        assert "unsupported operand" in (logged.last_error or "")


HOOKS = "hooks.example.test"
"""A name only the tests' `Names` answers."""


def named_handlers(database_url: str, names: Names, *allowed: str, **extra: Any) -> ActionHandlers:
    settings = settings_for(database_url, webhook_allowed_hosts=list(allowed), resolve=names)
    return ActionHandlers(settings.model_copy(update=extra))


class TestDestinations:
    """A host is resolved once, through `ActionSettings.resolve`, its addresses are checked, and
    the request connects to a checked address: a name cannot answer a public address to the
    check and loopback to the connection."""

    def test_the_post_goes_to_the_address_that_was_checked(
        self, clean_log: str, receiver: Receiver
    ) -> None:
        names = Names({HOOKS: [["127.0.0.1"], ["127.0.0.2"]]})
        handlers = named_handlers(clean_log, names, f"{HOOKS}:{receiver.port}")
        url = f"http://{HOOKS}:{receiver.port}/hooks"
        assert run(handlers.webhook, action(params={"url": url})).status == "delivered"
        assert names.asked == [HOOKS]
        (delivery,) = receiver.accepted
        assert (delivery.path, delivery.host) == ("/hooks", f"{HOOKS}:{receiver.port}")

    def test_a_name_that_rebinds_to_loopback_never_gets_the_post(
        self, clean_log: str, receiver: Receiver
    ) -> None:
        # 3fff::/20 is a documentation prefix Python 3.11 still calls global: it passes the
        # check, and nothing answers there.
        names = Names({HOOKS: [["3fff::1"], ["127.0.0.1"]]})
        handlers = named_handlers(clean_log, names, http_timeout_seconds=1)
        url = f"http://{HOOKS}:{receiver.port}/"
        error = failure_of(handlers.webhook, action(params={"url": url}))
        assert (error.type, error.non_retryable) == ("DeliveryFailed", False)
        assert names.asked == [HOOKS]
        assert receiver.attempts == {}

    def test_an_unreachable_address_falls_back_to_the_next_checked_one(
        self, clean_log: str, receiver: Receiver
    ) -> None:
        names = Names({HOOKS: [["127.0.0.2", "127.0.0.1"]]})
        handlers = named_handlers(clean_log, names, f"{HOOKS}:{receiver.port}")
        url = f"http://{HOOKS}:{receiver.port}/"
        assert run(handlers.webhook, action(params={"url": url})).attempts == 1
        assert names.asked == [HOOKS]
        assert receiver.sent() == {"SH-7/First Response/1/violation/1": 1}

    @pytest.mark.parametrize(
        ("address", "embedded"),
        [
            ("64:ff9b::7f00:1", "127.0.0.1"),  # NAT64
            ("64:ff9b:1::a00:1", "10.0.0.1"),  # local-use NAT64
            ("2002:7f00:1::", "127.0.0.1"),  # 6to4
            ("::ffff:127.0.0.1", "127.0.0.1"),  # IPv4-mapped
            ("::127.0.0.1", "127.0.0.1"),  # IPv4-compatible
            ("::ffff:0:a9fe:a9fe", "169.254.169.254"),  # IPv4-translated
            ("2001:0:4136:e378:8000:63bf:80ff:fffe", "127.0.0.1"),  # Teredo (client)
            ("2606:4700::5efe:c0a8:101", "192.168.1.1"),  # ISATAP
        ],
    )
    def test_an_ipv6_address_is_checked_by_the_ipv4_address_it_embeds(
        self, clean_log: str, receiver: Receiver, address: str, embedded: str
    ) -> None:
        names = Names({HOOKS: [[address]]})
        handlers = named_handlers(clean_log, names)
        request = action(params={"url": f"http://{HOOKS}:{receiver.port}/"})
        error = failure_of(handlers.webhook, request)
        assert (error.type, error.non_retryable) == ("DeliveryRejected", True)
        assert error.message == (
            f"host {HOOKS} resolves to the internal address {address} (it embeds {embedded}): "
            "name it in SLA_WEBHOOK_ALLOWED_HOSTS to allow it"
        )
        assert receiver.attempts == {}

    def test_an_embedding_literal_in_the_url_is_checked_too(
        self, clean_log: str, receiver: Receiver
    ) -> None:
        names = Names({})
        handlers = named_handlers(clean_log, names)
        url = f"http://[::ffff:127.0.0.1]:{receiver.port}/"
        error = failure_of(handlers.webhook, action(params={"url": url}))
        assert "(it embeds 127.0.0.1)" in error.message
        assert (names.asked, receiver.attempts) == ([], {})

    def test_an_allowed_host_may_embed_an_internal_address(
        self, clean_log: str, receiver: Receiver
    ) -> None:
        # The allow list names hosts the operator vouches for, whatever they resolve to. (The
        # IPv4 answer serves where the machine has no IPv6.)
        names = Names({HOOKS: [["::ffff:127.0.0.1", "127.0.0.1"]]})
        handlers = named_handlers(clean_log, names, f"{HOOKS}:{receiver.port}")
        url = f"http://{HOOKS}:{receiver.port}/"
        assert run(handlers.webhook, action(params={"url": url})).status == "delivered"
        assert len(receiver.accepted) == 1

    def test_https_checks_the_certificate_against_the_host_name(
        self, clean_log: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        context, cert = tls_server_context(tmp_path)
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the receiver's own certificate
        secure = Receiver(tls_context=context).start()
        try:
            names = Names({"localhost": [["127.0.0.1"]], HOOKS: [["127.0.0.1"]]})
            handlers = named_handlers(
                clean_log, names, f"localhost:{secure.port}", f"{HOOKS}:{secure.port}"
            )
            url = f"https://localhost:{secure.port}/hooks"
            assert run(handlers.webhook, action(params={"url": url})).status == "delivered"
            assert names.asked == ["localhost"]
            assert secure.accepted[0].host == f"localhost:{secure.port}"
            # The certificate also names 127.0.0.1, the address connected to: only a check
            # against the host name refuses it.
            other = action(params={"url": f"https://{HOOKS}:{secure.port}/"}, n=2)
            error = failure_of(handlers.webhook, other)
            assert (error.type, error.non_retryable) == ("DeliveryFailed", False)
            assert f"certificate is not valid for '{HOOKS}'" in error.message
            assert len(secure.attempts) == 1
        finally:
            secure.stop()


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

    @pytest.mark.parametrize(
        ("handler", "params"),
        [("case_update", {"fields": {"escalated": True}}), ("escalate", {"queue": "tier2"})],
    )
    def test_a_url_in_the_params_is_refused(
        self, clean_log: str, receiver: Receiver, handler: str, params: dict[str, Any]
    ) -> None:
        handlers = ActionHandlers(settings_for(clean_log, case_system_url=f"{receiver.url}/api"))
        request = action(handler, params | {"url": f"{receiver.url}/collect"})
        error = failure_of(getattr(handlers, handler), request)
        assert (error.type, error.non_retryable) == ("DeliveryRejected", True)
        assert error.message == (
            f"{handler} only calls SLA_CASE_SYSTEM_URL: remove params.url from the action"
        )
        assert receiver.attempts == {}
        logged = record(clean_log, request.idempotency_key)
        assert (logged.status, logged.attempts) == ("failed", 1)


def received(mailbox: Mailbox) -> Message:
    (envelope,) = mailbox.messages
    assert isinstance(envelope.content, bytes)
    return message_from_bytes(envelope.content, policy=policy.default)


def text_body(message: Message) -> str:
    (part,) = (part for part in message.walk() if part.get_content_type() == "text/plain")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode().replace("\r\n", "\n")  # SMTP carries CRLF line ends


ENCODED_INJECTION = "=?utf-8?q?Urgent=0D=0AReply-To:_attacker@evil.test=0D=0A=0D=0AInjected?="
"""An RFC 2047 encoded word that decodes to a line break, a header and a body (CVE-2024-6923)."""


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
        context, cert = tls_server_context(tmp_path)
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
        error = failure_of(handlers.email, action("email", {"subject": "$milestone missed"}))
        assert error.message == "an email action needs params.to: an address or a list of addresses"

    def test_an_encoded_word_in_a_field_cannot_inject_headers_or_a_body(
        self, clean_log: str, mailbox: Mailbox
    ) -> None:
        handlers = ActionHandlers(settings_for(clean_log, smtp_port=mailbox.port))
        params = {
            "to": "lead@stormhaven.test",
            "subject": "[SLA] $field_subject",
            "text": "Case $case_id missed $milestone.\n",
        }
        run(handlers.email, action("email", params, case_fields={"subject": ENCODED_INJECTION}))
        message = received(mailbox)
        assert message.get_all("From") == ["SLA milestones <sla@localhost>"]
        assert message.get_all("Reply-To") is None
        assert message["Subject"] == "[SLA] " + ENCODED_INJECTION.replace("=?", "= ?")
        assert text_body(message) == "Case SH-7 missed First Response.\n"

    def test_a_line_break_in_a_field_is_delivered_on_one_subject_line(
        self, clean_log: str, mailbox: Mailbox
    ) -> None:
        handlers = ActionHandlers(settings_for(clean_log, smtp_port=mailbox.port))
        fields = {"subject": "Printer\r\non fire\n\tBcc: spy@evil.test\x00"}
        params = {"to": "lead@stormhaven.test", "subject": "[SLA] $field_subject"}
        request = action("email", params, case_fields=fields)
        assert run(handlers.email, request).attempts == 1
        message = received(mailbox)
        assert message["Subject"] == "[SLA] Printer on fire Bcc: spy@evil.test"
        assert message.get_all("Bcc") is None
        assert record(clean_log, request.idempotency_key).status == "delivered"

    @pytest.mark.parametrize(
        "recipient",
        [
            "lead@stormhaven.test\r\nBcc: spy@evil.test",
            "Lead <lead@stormhaven.test>",
            "lead@stormhaven.test, spy@evil.test",
            "=?utf-8?q?lead?=@stormhaven.test",
            "lead@stormhaven.test\x00",
        ],
    )
    def test_a_recipient_that_is_not_a_plain_address_is_refused(
        self, clean_log: str, mailbox: Mailbox, recipient: str
    ) -> None:
        handlers = ActionHandlers(settings_for(clean_log, smtp_port=mailbox.port))
        request = action("email", {"to": ["ops@stormhaven.test", recipient]})
        error = failure_of(handlers.email, request)
        assert (error.type, error.non_retryable) == ("DeliveryRejected", True)
        assert error.message == (
            f"params.to holds {recipient!r}, which is not a plain address: give addresses "
            "like lead@example.com, without names, line breaks or encoded words"
        )
        assert mailbox.messages == []
        logged = record(clean_log, request.idempotency_key)
        assert (logged.status, logged.attempts) == ("failed", 1)

    def test_a_sender_that_is_not_a_plain_address_is_refused(
        self, clean_log: str, mailbox: Mailbox
    ) -> None:
        sender = "sla@localhost\r\nBcc: spy@evil.test"
        handlers = ActionHandlers(settings_for(clean_log, smtp_port=mailbox.port, mail_from=sender))
        error = failure_of(handlers.email, action("email", {"to": "lead@stormhaven.test"}))
        assert error.non_retryable
        assert error.message == (
            f"SLA_MAIL_FROM is {sender!r}, which is not a plain address: set it to one like "
            "sla@example.com on the worker"
        )
        assert mailbox.messages == []

    @pytest.mark.parametrize(
        ("params", "message"),
        [
            (
                {"to": "lead@stormhaven.test", "subject": {"en": "$milestone missed"}},
                "params.subject must be a text template with $placeholders, not a dict",
            ),
            (
                {"to": "lead@stormhaven.test", "html": ["<p>$case_id</p>"]},
                "params.html must be a text template with $placeholders, not a list",
            ),
            (
                {"to": ["lead@stormhaven.test", 7]},
                "params.to holds 7, which is not a plain address",
            ),
        ],
    )
    def test_a_message_that_cannot_be_rendered_is_final_after_one_attempt(
        self, clean_log: str, mailbox: Mailbox, params: dict[str, Any], message: str
    ) -> None:
        handlers = ActionHandlers(settings_for(clean_log, smtp_port=mailbox.port))
        request = action("email", params)
        error = failure_of(handlers.email, request)
        assert (error.type, error.non_retryable) == ("DeliveryRejected", True)
        assert error.message.startswith(message)
        assert mailbox.messages == []
        logged = record(clean_log, request.idempotency_key)
        assert (logged.status, logged.attempts) == ("failed", 1)
        assert message in (logged.last_error or "")


def test_the_worker_registers_exactly_the_handlers_actions_may_name(
    handlers: ActionHandlers,
) -> None:
    names = [activity._Definition.must_from_callable(f).name for f in handlers.activities()]
    assert names == [*ACTION_HANDLERS, DELIVERY_FAILED_HANDLER, WRITE_RECORDS]


def test_a_failure_of_an_action_that_never_began_is_logged_failed(
    handlers: ActionHandlers, clean_log: str
) -> None:
    request = action("slack", {"channel": "#sla"})
    env = ActivityEnvironment()
    attempts = env.run(handlers.delivery_failed, DeliveryFailure(request=request, error="no"))
    assert attempts == 0
    with transaction(clean_log) as session:
        row = session.get(DeliveryRecord, request.idempotency_key)
        assert row is not None
        assert (row.status, row.attempts, row.last_error, row.handler) == (
            "failed",
            0,
            "no",
            "slack",
        )


class TestRecordsRidingWithAnAction:
    """A task's record batch handed to its first action: the handler writes it once it has
    acted, and says so; an action that fails leaves the batch to the case."""

    def test_the_handler_writes_the_batch_after_acting(
        self, handlers: ActionHandlers, receiver: Receiver, clean_log: str
    ) -> None:
        batch = record_batch(milestone_record(case_id="RIDE-1"))
        request = action(case_id="RIDE-1", params={"url": f"{receiver.url}/hooks"}).model_copy(
            update={"records": batch}
        )
        result = run(handlers.webhook, request)
        assert (result.status, result.records_written) == ("delivered", True)
        assert len(receiver.accepted) == 1
        with transaction(clean_log) as session:
            stored = session.get(MilestoneRecordRow, ("RIDE-1", "First Response", 1))
            assert stored is not None
            assert stored.outcome == "met"

    def test_an_action_that_fails_writes_no_batch(
        self, handlers: ActionHandlers, receiver: Receiver, clean_log: str
    ) -> None:
        receiver.answer = 400
        batch = record_batch(milestone_record(case_id="RIDE-2"))
        request = action(case_id="RIDE-2", params={"url": f"{receiver.url}/hooks"}).model_copy(
            update={"records": batch}
        )
        assert failure_of(handlers.webhook, request).non_retryable
        with transaction(clean_log) as session:
            assert session.get(MilestoneRecordRow, ("RIDE-2", "First Response", 1)) is None
