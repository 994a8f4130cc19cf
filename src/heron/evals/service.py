"""The eval background service: job worker threads plus one thread for runs and experiments.

Runs inside ``heron serve`` (and ``heron worker``). Several services may share
one metadata database: jobs and runs are claimed there, so no two workers take
the same one (see :mod:`heron.store.meta.evals`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import structlog
from sqlalchemy import Engine

from heron.config import Settings
from heron.evals.experiments import execute_experiment
from heron.evals.jobs import JobRunner, RetryPolicy
from heron.evals.judging import EvaluatorFactory, JudgeDefaults
from heron.evals.observer import EvalObserver
from heron.evals.offline import execute_run
from heron.model import Score
from heron.protocols import TelemetryStore
from heron.store.meta import eval_runs as runs_db
from heron.store.meta import evals as db

__all__ = ["EvalService", "build_eval_service"]

_log = structlog.get_logger("heron.evals.service")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class EvalService:
    """A :class:`heron.protocols.BackgroundService` working the eval queue.

    ``workers`` threads each claim a few due jobs, run them, and sleep
    ``poll_s`` when there are none; one more thread runs offline runs and
    experiments one at a time. ``stop`` lets each thread finish its current
    job. Tests call :meth:`run_jobs_once` / :meth:`run_pending_runs` instead.
    """

    name = "evals"

    def __init__(
        self,
        *,
        engine: Engine,
        store: TelemetryStore,
        factory: EvaluatorFactory,
        workers: int = 2,
        poll_s: float = 1.0,
        policy: RetryPolicy | None = None,
        clock: Callable[[], datetime] = _utcnow,
        score_observers: Sequence[Callable[[Sequence[Score]], None]] = (),
    ) -> None:
        self.engine = engine
        self.store = store
        self.factory = factory
        self.workers = workers
        self.poll_s = poll_s
        self.clock = clock
        self.score_observers = score_observers
        self.runner = JobRunner(
            engine, store, factory, policy=policy, clock=clock, score_observers=score_observers
        )
        self.observer = EvalObserver(engine, clock=clock)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def eval_queue_depth(self) -> int:
        """Jobs waiting or running (the ``heron_eval_queue_depth`` gauge)."""
        return db.queue_depth(self.engine)

    def run_jobs_once(self, limit: int = 8) -> int:
        """Claim and run up to ``limit`` due jobs now; how many ran."""
        return self.runner.run_once(limit)

    def run_pending_runs(self) -> int:
        """Execute every pending offline run and experiment now; how many ran."""
        count = 0
        while not self._stop.is_set():
            run = runs_db.claim_run(self.engine, self.clock())
            if run is None:
                break
            count += 1
            try:
                if run.kind == "experiment":
                    execute_experiment(
                        run, engine=self.engine, factory=self.factory, clock=self.clock
                    )
                else:
                    execute_run(
                        run,
                        engine=self.engine,
                        store=self.store,
                        factory=self.factory,
                        clock=self.clock,
                        score_observers=self.score_observers,
                    )
            except Exception:  # recorded on the run row by execute_*; keep serving
                _log.exception("eval run failed", run_id=run.id, kind=run.kind)
        return count

    def _loop(self, work: Callable[[], int]) -> None:
        while not self._stop.is_set():
            try:
                did = work()
            except Exception:  # the database may be briefly unreachable: try again later
                _log.exception("eval worker cycle failed")
                did = 0
            if not did and self._stop.wait(self.poll_s):
                break

    def start(self) -> None:
        """Start the worker threads (returns at once)."""
        if self._threads:
            return
        self._stop.clear()
        targets: list[tuple[str, Callable[[], int]]] = [
            (f"heron-eval-{n}", self.run_jobs_once) for n in range(self.workers)
        ]
        targets.append(("heron-eval-runs", self.run_pending_runs))
        for name, work in targets:
            thread = threading.Thread(target=self._loop, args=(work,), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        _log.info("eval service started", workers=self.workers)

    def stop(self) -> None:
        """Let each thread finish its current job, then return."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)
        self._threads = []
        self.factory.close()


def build_eval_service(
    settings: Settings,
    store: TelemetryStore,
    engine: Engine,
    *,
    score_observers: Sequence[Callable[[Sequence[Score]], None]] = (),
) -> EvalService:
    """The service configured from ``settings`` (``HERON_JUDGE_*``, ``HERON_EVAL_WORKERS``)."""
    return EvalService(
        engine=engine,
        store=store,
        factory=EvaluatorFactory(JudgeDefaults.from_settings(settings)),
        workers=settings.eval_workers,
        score_observers=score_observers,
    )
