"""The alert background service: every interval, evaluate all rules and dispatch the outbox.

One :class:`AlertService` runs inside ``heron serve`` and in each ``heron
worker``; several may share one metadata database, because each rule
evaluation and each delivery is claimed there first (see
:mod:`heron.store.meta.alerts`), so no leader election is needed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog

from heron.alerts.engine import AlertEngine
from heron.alerts.event import AlertEvent
from heron.alerts.notifiers import LogNotifier, SlackNotifier, WebhookNotifier
from heron.alerts.outbox import Delivery, OutboxDispatcher, RetryPolicy
from heron.alerts.persistence import MetaAlertStore
from heron.alerts.rules_file import load_rules
from heron.alerts.source import MetricSource
from heron.alerts.store_source import StoreMetricSource
from heron.config import Settings
from heron.errors import NotFoundError
from heron.protocols import Notifier, TelemetryStore
from heron.store.meta import MetaStore

__all__ = [
    "AlertService",
    "CycleResult",
    "apply_rules_file",
    "build_alert_service",
    "notifiers_from_settings",
]

_log = structlog.get_logger("heron.alerts.service")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class CycleResult:
    """What one cycle did: state changes recorded and deliveries attempted."""

    at: datetime
    events: list[AlertEvent] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)


class AlertService:
    """A :class:`heron.protocols.BackgroundService` running alert cycles on a thread.

    ``projects`` lists the project ids to evaluate; each one gets the default
    rules the first time it is seen. ``wait(seconds)`` sleeps between cycles and
    returns True to stop (default: an event :meth:`stop` sets), so tests drive
    the loop with a fake clock instead of sleeping.
    """

    name = "alerts"

    def __init__(
        self,
        *,
        store: MetaAlertStore,
        source: MetricSource,
        notifiers: Mapping[str, Notifier],
        projects: Callable[[], Iterable[str]],
        interval: timedelta = timedelta(seconds=15),
        clock: Callable[[], datetime] = _utcnow,
        wait: Callable[[float], bool] | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        if interval <= timedelta(0):
            raise ValueError(f"alert interval must be positive, got {interval}")
        self.store = store
        self.projects = projects
        self.interval = interval
        self.clock = clock
        self._stop = threading.Event()
        self._wait = wait or self._stop.wait
        self._thread: threading.Thread | None = None
        self._seeded: set[str] = set()
        # Rules that name no notifier go to every configured one.
        self.engine = AlertEngine(
            rules=store.rules, source=source, store=store, clock=clock,
            default_notifiers=tuple(notifiers), claim_for=interval * 0.8,
        )  # fmt: skip
        self.dispatcher = OutboxDispatcher(store, notifiers, clock=clock, policy=policy)
        self.cycles = 0

    def run_once(self, now: datetime | None = None) -> CycleResult:
        """One cycle: seed new projects' default rules, evaluate, dispatch due deliveries."""
        now = now or self.clock()
        for project_id in self.projects():
            if project_id not in self._seeded:
                self.store.ensure_defaults(project_id)
                self._seeded.add(project_id)
        events = self.engine.evaluate_once(now)
        deliveries = self.dispatcher.dispatch_due(now)
        self.cycles += 1
        return CycleResult(now, events, deliveries)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # a failed cycle (database down) must not end the loop
                _log.exception("alert cycle failed; retrying next interval")
            if self._wait(self.interval.total_seconds()):
                break

    def start(self) -> None:
        """Start the evaluation thread (returns at once)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="heron-alerts", daemon=True)
        self._thread.start()
        _log.info("alert service started", interval_s=self.interval.total_seconds())

    def stop(self) -> None:
        """Finish the current cycle and stop."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
            self._thread = None

    def join(self, timeout: float | None = None) -> None:
        """Wait for the loop thread to end (after :meth:`stop` or its ``wait`` said stop)."""
        if self._thread is not None:
            self._thread.join(timeout)


def notifiers_from_settings(settings: Settings) -> dict[str, Notifier]:
    """``log`` always, plus ``webhook`` and ``slack`` when their URLs are set."""
    notifiers: dict[str, Notifier] = {"log": LogNotifier("log")}
    if settings.alert_webhook_url:
        notifiers["webhook"] = WebhookNotifier(
            "webhook", settings.alert_webhook_url, secret=settings.alert_webhook_secret
        )
    if settings.alert_slack_url:
        notifiers["slack"] = SlackNotifier("slack", settings.alert_slack_url)
    return notifiers


def _project_id(meta: MetaStore, ref: str) -> str:
    """A rules file names a project by id or by name; a new name creates the project."""
    try:
        return meta.get_project(ref).id
    except NotFoundError:
        return meta.ensure_project(ref).id


def apply_rules_file(
    store: MetaAlertStore, meta: MetaStore, path: Path, *, default_project: str
) -> int:
    """Create or replace (by id) every rule of the YAML file; return how many."""
    rules = load_rules(path, project_id=default_project)
    for rule in rules:
        project_id = _project_id(meta, rule.project_id)
        store.ensure_defaults(project_id)  # first: a file rule may override a default's id
        store.upsert_rule(rule.model_copy(update={"project_id": project_id}), origin="file")
    _log.info("alert rules file loaded", path=str(path), rules=len(rules))
    return len(rules)


def build_alert_service(
    settings: Settings,
    telemetry: TelemetryStore,
    meta: MetaStore,
    *,
    notifiers: Mapping[str, Notifier] | None = None,
    clock: Callable[[], datetime] = _utcnow,
) -> AlertService:
    """The alert service of a running heron, its rules file already loaded."""
    store = MetaAlertStore(meta.engine, clock=clock)
    if settings.alert_rules_file is not None:
        apply_rules_file(
            store, meta, settings.alert_rules_file, default_project=settings.default_project
        )
    return AlertService(
        store=store,
        source=StoreMetricSource(telemetry),
        notifiers=notifiers if notifiers is not None else notifiers_from_settings(settings),
        projects=lambda: [p.id for p in meta.list_projects()],
        interval=timedelta(seconds=settings.alert_interval_s),
        clock=clock,
    )
