"""Notifiers against a real HTTP receiver on 127.0.0.1, and outbox retries with backoff."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import pytest
from structlog.testing import capture_logs

from heron.alerts import (
    AlertEngine,
    AlertRule,
    MemoryAlertStore,
    MemoryOutbox,
    OutboxDispatcher,
    RetryPolicy,
)
from heron.alerts.notifiers import (
    SIGNATURE_HEADER,
    LogNotifier,
    NotificationError,
    SlackNotifier,
    WebhookNotifier,
)
from heron.errors import ConfigError

from .conftest import FakeClock, Receiver, SpanMetricSource, llm_span

SECRET = "s3cret-shared-with-the-receiver"


def firing_payload(clock: FakeClock) -> dict[str, Any]:
    """A real payload, produced by the engine for a firing rule."""
    source = SpanMetricSource([llm_span(clock.now - timedelta(seconds=5), n=1, status="error")])
    outbox = MemoryOutbox()
    rule = AlertRule(id="errors", project_id="proj", name="Errors", metric="error_rate",
                     threshold=0.05, severity="critical", labels={"team": "ml"})  # fmt: skip
    AlertEngine(rules=lambda: [rule], source=source, store=MemoryAlertStore(outbox),
                clock=clock, default_notifiers=("x",)).evaluate_once()  # fmt: skip
    (delivery,) = outbox.list()
    return delivery.payload


def test_webhook_body_is_signed_with_hmac_sha256(receiver: Receiver, clock: FakeClock) -> None:
    payload = firing_payload(clock)
    notifier = WebhookNotifier("hook", receiver.url, secret=SECRET)
    notifier.send(payload)
    notifier.close()
    (req,) = receiver.requests
    assert req.path == "/hook"
    assert req.headers["Content-Type"] == "application/json"
    expected = "sha256=" + hmac.new(SECRET.encode(), req.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(req.headers[SIGNATURE_HEADER], expected)
    body = req.json()
    assert body == payload
    assert body["rule"]["labels"] == {"team": "ml"}
    assert body["kind"] == "firing"


def test_webhook_without_secret_is_unsigned_and_bad_urls_fail_early(
    receiver: Receiver, clock: FakeClock
) -> None:
    WebhookNotifier("hook", receiver.url).send(firing_payload(clock))
    assert SIGNATURE_HEADER not in receiver.requests[0].headers
    with pytest.raises(ConfigError, match="must start with http"):
        WebhookNotifier("hook", "ftp://example.org/x")


def test_refused_delivery_raises_notification_error(receiver: Receiver, clock: FakeClock) -> None:
    receiver.always_fail = True
    with pytest.raises(NotificationError, match="HTTP 503"):
        WebhookNotifier("hook", receiver.url).send(firing_payload(clock))


def test_slack_message_shape(receiver: Receiver, clock: FakeClock) -> None:
    payload = firing_payload(clock)
    SlackNotifier("slack", receiver.url).send(payload)
    body = receiver.requests[0].json()
    assert set(body) == {"text", "blocks"}
    assert payload["message"] in body["text"]
    assert body["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "Errors"}}
    assert all("type" in b for b in body["blocks"])
    assert "*Severity*\ncritical" in json.dumps(body["blocks"]).replace("\\n", "\n")


def test_log_notifier_writes_one_structured_line(clock: FakeClock) -> None:
    payload = firing_payload(clock)
    with capture_logs() as logs:
        LogNotifier().send(payload)
    (entry,) = logs
    assert entry["event"] == "alert"
    assert entry["log_level"] == "warning"
    assert entry["rule_id"] == "errors"
    assert entry["dedup_key"] == payload["dedup_key"]


def test_outbox_retries_with_backoff_until_the_receiver_recovers(
    receiver: Receiver, clock: FakeClock
) -> None:
    receiver.fail_first = 3
    outbox = MemoryOutbox()
    policy = RetryPolicy(max_attempts=6, base=timedelta(seconds=10), factor=2.0)
    dispatcher = OutboxDispatcher(outbox, {"hook": WebhookNotifier("hook", receiver.url,
                                  secret=SECRET)}, clock=clock, policy=policy)  # fmt: skip
    outbox.enqueue("hook", firing_payload(clock), "k1", clock.now)

    (d,) = dispatcher.dispatch_due()
    assert (d.status, d.attempts, d.next_attempt_at - clock.now) == (
        "pending", 1, timedelta(seconds=10))  # fmt: skip
    assert "HTTP 503" in (d.last_error or "")
    clock.advance(seconds=9)
    assert dispatcher.dispatch_due() == []  # backoff not over: no attempt
    clock.advance(seconds=1)
    (d,) = dispatcher.dispatch_due()
    assert (d.attempts, d.next_attempt_at - clock.now) == (2, timedelta(seconds=20))
    clock.advance(seconds=20)
    (d,) = dispatcher.dispatch_due()
    assert (d.attempts, d.next_attempt_at - clock.now) == (3, timedelta(seconds=40))
    clock.advance(seconds=40)
    (d,) = dispatcher.dispatch_due()
    assert (d.status, d.attempts, d.delivered_at) == ("delivered", 4, clock.now)
    clock.advance(hours=1)
    assert dispatcher.dispatch_due() == []
    assert len(receiver.requests) == 4
    assert sum(1 for _ in outbox.list("delivered")) == 1
    assert len({r.body for r in receiver.requests}) == 1  # the same signed body every time


def test_a_permanently_failing_delivery_is_recorded_not_lost(
    receiver: Receiver, clock: FakeClock
) -> None:
    receiver.always_fail = True
    outbox = MemoryOutbox()
    policy = RetryPolicy(max_attempts=3, base=timedelta(seconds=1))
    notifiers = {"hook": WebhookNotifier("hook", receiver.url)}
    dispatcher = OutboxDispatcher(outbox, notifiers, clock=clock, policy=policy)
    outbox.enqueue("hook", firing_payload(clock), "k1", clock.now)
    outbox.enqueue("typo", firing_payload(clock), "k1", clock.now)
    for _ in range(10):
        dispatcher.dispatch_due()
        clock.advance(minutes=1)
    hook, typo = outbox.list()
    assert (hook.status, hook.attempts) == ("failed", 3)
    assert "HTTP 503" in (hook.last_error or "")
    assert len(receiver.requests) == 3
    assert (typo.status, typo.attempts) == ("failed", 1)
    assert "no notifier named 'typo'" in (typo.last_error or "")
    assert outbox.list("pending") == []


def test_backoff_is_capped() -> None:
    policy = RetryPolicy(base=timedelta(seconds=5), factor=3, max_delay=timedelta(minutes=1))
    assert [policy.delay(n).total_seconds() for n in (1, 2, 3, 4)] == [5, 15, 45, 60]
    with pytest.raises(ValueError, match="invalid retry policy"):
        RetryPolicy(max_attempts=0)
