"""Notifiers: where alert notifications go (webhook, Slack-compatible, log)."""

from heron.alerts.notifiers.base import NotificationError
from heron.alerts.notifiers.log import LogNotifier
from heron.alerts.notifiers.slack import SlackNotifier, slack_message
from heron.alerts.notifiers.webhook import (
    SIGNATURE_HEADER,
    WebhookNotifier,
    encode_payload,
    signature,
)

__all__ = [
    "SIGNATURE_HEADER",
    "LogNotifier",
    "NotificationError",
    "SlackNotifier",
    "WebhookNotifier",
    "encode_payload",
    "signature",
    "slack_message",
]
