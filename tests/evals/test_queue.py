"""The durable eval job queue on SQLite and a real PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from heron.store.meta import MetaStore, open_meta_store
from heron.store.meta import evals as db

from .conftest import Clock


def _jobs(
    project: str, n: int, clock: Clock, rule: str = "r1", delay_s: float = 0
) -> list[db.NewJob]:
    return [
        db.NewJob(
            project_id=project,
            rule_id=rule,
            trace_id=f"{i:032x}",
            span_id=f"{i:016x}",
            due_at=clock() + timedelta(seconds=delay_s),
            judged=False,
        )
        for i in range(n)
    ]


def _outcome(score_id: str) -> db.JobOutcome:
    return db.JobOutcome(score_id=score_id, evaluator="pii", label="pass", value=1.0, cost_usd=0.01)


def test_enqueue_is_idempotent_per_rule_and_span(
    meta: MetaStore, project: str, clock: Clock
) -> None:
    assert db.enqueue_jobs(meta.engine, _jobs(project, 5, clock), clock()) == 5
    assert db.enqueue_jobs(meta.engine, _jobs(project, 7, clock), clock()) == 2
    assert db.enqueue_jobs(meta.engine, _jobs(project, 3, clock, rule="r2"), clock()) == 3
    assert db.queue_depth(meta.engine) == 10
    assert len(db.list_jobs(meta.engine, project, rule_id="r1")) == 7


def test_jobs_are_not_claimed_before_due(meta: MetaStore, project: str, clock: Clock) -> None:
    db.enqueue_jobs(meta.engine, _jobs(project, 2, clock, delay_s=30), clock())
    lease = clock() + timedelta(seconds=60)
    assert db.claim_jobs(meta.engine, now=clock(), lease_until=lease, limit=10) == []
    clock.advance(30)
    claimed = db.claim_jobs(meta.engine, now=clock(), lease_until=lease, limit=10)
    assert [(j.status, j.attempts) for j in claimed] == [("running", 1), ("running", 1)]


def test_concurrent_claimers_never_get_the_same_job(
    meta: MetaStore, meta_url: str, project: str, clock: Clock, tmp_path: Path
) -> None:
    db.enqueue_jobs(meta.engine, _jobs(project, 120, clock), clock())
    stores = [open_meta_store(meta_url, server_secret="s") for _ in range(3)]
    got: list[list[int]] = [[] for _ in stores]
    barrier = threading.Barrier(len(stores))

    def claimer(index: int) -> None:
        engine = stores[index].engine
        barrier.wait()
        while True:
            jobs = db.claim_jobs(
                engine, now=clock(), lease_until=clock() + timedelta(minutes=5), limit=4
            )
            if not jobs:
                return
            got[index].extend(job.id for job in jobs)

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for store in stores:
        store.close()
    everything = [job_id for ids in got for job_id in ids]
    assert len(everything) == 120
    assert len(set(everything)) == 120
    assert all(j.attempts == 1 for j in db.list_jobs(meta.engine, project))


def test_a_stale_lease_is_reclaimed_and_the_old_worker_is_fenced_off(
    meta: MetaStore, project: str, clock: Clock
) -> None:
    db.enqueue_jobs(meta.engine, _jobs(project, 1, clock), clock())
    first = db.claim_jobs(
        meta.engine, now=clock(), lease_until=clock() + timedelta(seconds=60), limit=1
    )
    clock.advance(30)
    assert (
        db.claim_jobs(
            meta.engine, now=clock(), lease_until=clock() + timedelta(seconds=60), limit=1
        )
        == []
    )
    clock.advance(31)  # the first worker died: its lease ran out
    second = db.claim_jobs(
        meta.engine, now=clock(), lease_until=clock() + timedelta(seconds=60), limit=1
    )
    assert [j.id for j in second] == [first[0].id]
    assert second[0].attempts == 2
    assert not db.finish_job(meta.engine, first[0], _outcome("old"), clock())
    assert db.finish_job(meta.engine, second[0], _outcome("new"), clock())
    (job,) = db.list_jobs(meta.engine, project)
    assert (job.status, job.score_id) == ("done", "new")


def test_a_job_whose_worker_always_dies_ends_as_error(
    meta: MetaStore, project: str, clock: Clock
) -> None:
    db.enqueue_jobs(meta.engine, _jobs(project, 1, clock), clock())
    for _ in range(3):
        db.expire_jobs(meta.engine, now=clock(), max_attempts=3)
        assert db.claim_jobs(
            meta.engine, now=clock(), lease_until=clock() + timedelta(seconds=10), limit=1
        )
        clock.advance(11)
    assert db.expire_jobs(meta.engine, now=clock(), max_attempts=3) == 1
    (job,) = db.list_jobs(meta.engine, project)
    assert job.status == "error"
    assert "lease expired" in (job.last_error or "")
    assert db.queue_depth(meta.engine) == 0


def test_restart_neither_loses_nor_repeats_a_finished_job(
    meta_url: str, tmp_path: Path, clock: Clock
) -> None:
    first = open_meta_store(meta_url, server_secret="s")
    first.migrate()
    project = first.ensure_project("restart").id
    db.enqueue_jobs(first.engine, _jobs(project, 3, clock), clock())
    claimed = db.claim_jobs(
        first.engine, now=clock(), lease_until=clock() + timedelta(minutes=1), limit=2
    )
    assert db.finish_job(first.engine, claimed[0], _outcome("s-0"), clock())
    first.close()  # the process stops; claimed[1] was running, the third job pending

    second = open_meta_store(meta_url, server_secret="s")
    second.migrate()
    assert db.enqueue_jobs(second.engine, _jobs(project, 3, clock), clock()) == 0  # a WAL replay
    clock.advance(61)
    again = db.claim_jobs(
        second.engine, now=clock(), lease_until=clock() + timedelta(minutes=1), limit=10
    )
    assert sorted(j.span_id for j in again) == sorted(
        j.span_id for j in _jobs(project, 3, clock)[1:]
    )
    done = db.list_jobs(second.engine, project, status="done")
    assert [(j.span_id, j.score_id) for j in done] == [(claimed[0].span_id, "s-0")]
    second.close()


def test_judge_cost_is_summed_per_rule_since_a_time(
    meta: MetaStore, project: str, clock: Clock
) -> None:
    db.enqueue_jobs(meta.engine, _jobs(project, 3, clock), clock())
    jobs = db.claim_jobs(
        meta.engine, now=clock(), lease_until=clock() + timedelta(minutes=1), limit=3
    )
    for job in jobs:
        db.finish_job(meta.engine, job, _outcome(f"s{job.id}"), clock())
    spent = db.judge_cost_since(meta.engine, ["r1", "r9"], clock() - timedelta(hours=1))
    assert set(spent) == {"r1"}
    assert spent["r1"] == pytest.approx(0.03)
    assert db.judge_cost_since(meta.engine, ["r1"], clock() + timedelta(seconds=1)) == {}
