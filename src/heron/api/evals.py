"""REST API for evals: rules, jobs, offline runs, the score summary, datasets and experiments.

Everything belongs to the caller's project (from its API key): reads need a
read key, writes (which may spend judge money) an admin key, and another
project's rule, run, dataset or experiment answers 404 like a missing one.
:func:`install_evals` wires the eval service, its span observer and this
router into an app.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Query, Request, Response
from pydantic import ValidationError

from heron.api.context import app_context, authorizer
from heron.api.encode import to_json
from heron.auth import Principal
from heron.errors import ConfigError, NotFoundError, QueryError
from heron.evals.experiments import ExperimentSpec
from heron.evals.offline import RunSpec
from heron.evals.rules import EvalRule
from heron.evals.service import EvalService, build_eval_service
from heron.model import BUCKETS, StatsQuery
from heron.query import parse_time_range
from heron.store.meta import eval_runs as runs_db
from heron.store.meta import evals as db

if TYPE_CHECKING:
    from heron.app import Components

__all__ = ["EVALS_EXTRA", "datasets_router", "evals_router", "install_evals"]

EVALS_EXTRA = "evals"
"""Key of the :class:`EvalService` in ``AppContext.extras``."""

MAX_DATASET_ITEMS = 10_000
Reader = Annotated[Principal, Depends(authorizer("read"))]
Admin = Annotated[Principal, Depends(authorizer("admin"))]
_RULE_BODY = Body(
    description="An eval rule: name, evaluator + config (or template), filter, sample_rate, "
    "delay_s, daily_budget_usd, judge, include_session, score_name, enabled (id optional).",
    examples=[
        {
            "name": "PII in answers",
            "evaluator": "pii",
            "sample_rate": 0.1,
            "delay_s": 30,
            "filter": {"kinds": ["llm"], "models": ["gpt-4o"]},
        }
    ],
)
_RUN_BODY = Body(
    description="rule_id or evaluator (+config, template, judge); start/end or since; "
    "filter; limit.",
    examples=[{"evaluator": "refusal", "since": "24h", "limit": 500}],
)


def _service(request: Request) -> EvalService:
    service = app_context(request).extras.get(EVALS_EXTRA)
    if not isinstance(service, EvalService):
        raise ConfigError("evals are not installed in this app (install_evals was not called)")
    return service


def _unprocessable(exc: ValidationError) -> HTTPException:
    errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
    return HTTPException(422, detail=errors)


def _validate_rule(
    service: EvalService, body: dict[str, Any], project_id: str, rule_id: str | None
) -> EvalRule:
    data = dict(body)
    if data.pop("project_id", project_id) != project_id:
        raise HTTPException(422, detail="project_id comes from the API key; leave it out")
    if rule_id is not None and data.setdefault("id", rule_id) != rule_id:
        raise HTTPException(422, detail=f"body id {data['id']!r} differs from the URL's")
    data.setdefault("id", uuid.uuid4().hex)
    try:
        rule = EvalRule.model_validate({**data, "project_id": project_id})
    except ValidationError as exc:
        raise _unprocessable(exc) from exc
    # Fail now, not on every job, when the evaluator cannot be built (no judge, bad config).
    service.factory.cached(
        evaluator=rule.evaluator, config=rule.config, template=rule.template, judge=rule.judge
    )
    return rule


def _rule_json(record: db.RuleRecord) -> dict[str, Any]:
    rule = EvalRule.from_record(
        record.project_id, record.id, record.name, record.definition, record.enabled
    )
    data = rule.model_dump(mode="json", exclude={"project_id"})
    data["created_at"] = to_json(record.created_at)
    data["updated_at"] = to_json(record.updated_at)
    return data


def _run_json(run: runs_db.RunRecord, *, with_results: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": run.id,
        "kind": run.kind,
        "status": run.status,
        "spec": run.spec,
        "total": run.total,
        "done": run.done,
        "progress": (run.done / run.total) if run.total else (1.0 if run.status == "done" else 0.0),
        "summary": run.summary,
        "error": run.error,
        "created_at": to_json(run.created_at),
        "started_at": to_json(run.started_at),
        "finished_at": to_json(run.finished_at),
    }
    if with_results:
        data["results"] = run.results
    return data


def evals_router() -> APIRouter:
    """``/api/v1/evals/...``: rules (CRUD), jobs, runs and the summary."""
    router = APIRouter(prefix="/api/v1/evals", tags=["evals"])

    @router.get("/rules", summary="The project's eval rules")
    def list_rules(principal: Reader, request: Request) -> dict[str, Any]:
        engine = app_context(request).meta.engine
        return {"rules": [_rule_json(r) for r in db.list_eval_rules(engine, principal.project_id)]}

    @router.post("/rules", status_code=201, summary="Create an eval rule")
    def create_rule(
        principal: Admin, request: Request, body: Annotated[dict[str, Any], _RULE_BODY]
    ) -> dict[str, Any]:
        service = _service(request)
        rule = _validate_rule(service, body, principal.project_id, None)
        record = db.insert_eval_rule(
            service.engine,
            project_id=rule.project_id,
            rule_id=rule.id,
            name=rule.name,
            definition=rule.definition(),
            enabled=rule.enabled,
            now=datetime.now(UTC),
        )
        service.observer.invalidate()
        return _rule_json(record)

    @router.get("/rules/{rule_id}", summary="One eval rule")
    def get_rule(principal: Reader, request: Request, rule_id: str) -> dict[str, Any]:
        engine = app_context(request).meta.engine
        return _rule_json(db.get_eval_rule(engine, principal.project_id, rule_id))

    @router.put("/rules/{rule_id}", summary="Replace an eval rule (its jobs are kept)")
    def put_rule(
        principal: Admin,
        request: Request,
        rule_id: str,
        body: Annotated[dict[str, Any], _RULE_BODY],
    ) -> dict[str, Any]:
        service = _service(request)
        db.get_eval_rule(service.engine, principal.project_id, rule_id)  # 404 before 422
        rule = _validate_rule(service, body, principal.project_id, rule_id)
        record = db.update_eval_rule(
            service.engine,
            project_id=rule.project_id,
            rule_id=rule.id,
            name=rule.name,
            definition=rule.definition(),
            enabled=rule.enabled,
            now=datetime.now(UTC),
        )
        service.observer.invalidate()
        return _rule_json(record)

    @router.delete("/rules/{rule_id}", status_code=204, summary="Delete an eval rule")
    def delete_rule(principal: Admin, request: Request, rule_id: str) -> Response:
        service = _service(request)
        db.delete_eval_rule(service.engine, principal.project_id, rule_id)
        service.observer.invalidate()
        return Response(status_code=204)

    @router.get("/jobs", summary="Eval jobs (queue and history)")
    def list_jobs(
        principal: Reader,
        request: Request,
        rule_id: str | None = None,
        status: Literal["pending", "running", "done", "error"] | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        jobs = db.list_jobs(
            app_context(request).meta.engine,
            principal.project_id,
            rule_id=rule_id,
            status=status,
            limit=limit,
        )
        return {"jobs": to_json(jobs)}

    @router.post("/runs", status_code=202, summary="Start an offline eval run over past spans")
    def create_run(
        principal: Admin, request: Request, body: Annotated[dict[str, Any], _RUN_BODY]
    ) -> dict[str, Any]:
        service = _service(request)
        data = dict(body)
        time = parse_time_range(
            data.pop("start", None), data.pop("end", None), data.pop("since", None)
        )
        try:
            spec = RunSpec.model_validate({**data, "start": time.start, "end": time.end})
        except ValidationError as exc:
            raise _unprocessable(exc) from exc
        if spec.rule_id is not None:
            db.get_eval_rule(service.engine, principal.project_id, spec.rule_id)
        else:
            service.factory.build(
                evaluator=spec.evaluator,
                config=spec.config,
                template=spec.template,
                judge=spec.judge,
            )
        run = runs_db.create_run(
            service.engine,
            run_id=uuid.uuid4().hex,
            project_id=principal.project_id,
            kind="run",
            spec=spec.model_dump(mode="json"),
            now=datetime.now(UTC),
        )
        return _run_json(run)

    @router.get("/runs", summary="Offline eval runs, newest first")
    def list_runs(principal: Reader, request: Request) -> dict[str, Any]:
        runs = runs_db.list_runs(app_context(request).meta.engine, principal.project_id, "run")
        return {"runs": [_run_json(r) for r in runs]}

    @router.get("/runs/{run_id}", summary="An offline run's progress and summary")
    def get_run(principal: Reader, request: Request, run_id: str) -> dict[str, Any]:
        engine = app_context(request).meta.engine
        return _run_json(runs_db.get_run(engine, principal.project_id, run_id, "run"))

    @router.get("/summary", summary="Average score and hallucination rate over time, by group")
    def summary(
        principal: Reader,
        request: Request,
        group_by: Literal["model", "prompt_template_hash", "user_id", "evaluator"] = "evaluator",
        bucket: Annotated[str, Query(description="1m, 5m, 1h or 1d.")] = "1h",
        start: str | None = None,
        end: str | None = None,
        since: str | None = None,
    ) -> dict[str, Any]:
        if bucket not in BUCKETS:
            raise QueryError(f"bucket {bucket!r} is not one of {', '.join(BUCKETS)}")
        time = parse_time_range(start, end, since)
        ctx = app_context(request)
        if group_by == "evaluator":
            outcomes = db.job_outcomes(ctx.meta.engine, principal.project_id, time.start, time.end)
            return {
                "group_by": group_by,
                "bucket": bucket,
                "rows": _evaluator_rows(outcomes, BUCKETS[bucket]),
            }
        query = StatsQuery(time=time, group_by=(group_by,), bucket=bucket)  # type: ignore[arg-type]
        rows = [
            {
                "group": r.group.get(group_by),
                "bucket_start": to_json(r.bucket_start),
                "count": r.requests,
                "avg_score": r.avg_score,
                "hallucination_rate": r.hallucination_rate,
            }
            for r in ctx.store.stats(principal.project_id, query)
            if r.avg_score is not None or r.hallucination_rate is not None
        ]
        return {"group_by": group_by, "bucket": bucket, "rows": rows}

    return router


def _evaluator_rows(
    outcomes: list[tuple[str, datetime, str | None, float | None]], seconds: int
) -> list[dict[str, Any]]:
    groups: dict[tuple[str, int], list[tuple[str | None, float | None]]] = defaultdict(list)
    for evaluator, at, label, value in outcomes:
        start = int(at.timestamp()) // seconds * seconds
        groups[(evaluator, start)].append((label, value))
    rows = []
    for (evaluator, start), items in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        values = [v for _, v in items if v is not None]
        rows.append(
            {
                "group": evaluator,
                "bucket_start": to_json(datetime.fromtimestamp(start, UTC)),
                "count": len(items),
                "avg_score": sum(values) / len(values) if values else None,
                # The hallucination value is the unsupported fraction (1 = hallucinated).
                "hallucination_rate": (
                    sum(v >= 0.5 for v in values) / len(values)
                    if evaluator == "hallucination" and values
                    else None
                ),
                "pass": sum(label == "pass" for label, _ in items),
                "fail": sum(label == "fail" for label, _ in items),
                "unclear": sum(label == "unclear" for label, _ in items),
            }
        )
    return rows


def _dataset_items(raw: bytes, content_type: str) -> tuple[str | None, list[dict[str, Any]]]:
    """(name from a JSON body, items) of an upload: JSONL, or {"name", "items": [...]}."""
    text = raw.decode("utf-8", errors="replace")
    name: str | None = None
    if content_type.startswith("application/json"):
        try:
            body = json.loads(text)
        except json.JSONDecodeError as exc:
            raise QueryError(f"the body is not JSON: {exc}") from exc
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise QueryError('a JSON body needs {"name": ..., "items": [...]}; or send JSONL')
        name, lines = body.get("name"), body["items"]
    else:
        lines = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    lines.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise QueryError(f"JSONL line {number} is not JSON: {exc}") from exc
    items = []
    for number, item in enumerate(lines, 1):
        if not isinstance(item, dict) or "input" not in item:
            raise QueryError(f"item {number} needs an 'input' field: {str(item)[:80]!r}")
        unknown = set(item) - {"input", "expected", "metadata"}
        if unknown:
            raise QueryError(
                f"item {number} has unknown fields {sorted(unknown)}; use input, expected, metadata"
            )
        items.append(
            {
                "input": item["input"],
                "expected": item.get("expected"),
                "metadata": item.get("metadata") or {},
            }
        )
    if not items or len(items) > MAX_DATASET_ITEMS:
        raise QueryError(f"a dataset needs 1 to {MAX_DATASET_ITEMS} items, got {len(items)}")
    return (str(name) if name is not None else None), items


def datasets_router() -> APIRouter:
    """``/api/v1/datasets/...``: upload and read datasets; run and compare experiments."""
    router = APIRouter(prefix="/api/v1/datasets", tags=["evals"])

    @router.post(
        "",
        status_code=201,
        summary="Upload a dataset (JSONL of {input, expected, metadata})",
        openapi_extra={
            "requestBody": {
                "content": {
                    "application/x-ndjson": {"schema": {"type": "string"}},
                    "application/json": {"schema": {"type": "object"}},
                }
            }
        },
    )
    async def create_dataset(
        principal: Admin,
        request: Request,
        name: Annotated[str | None, Query(max_length=200)] = None,
    ) -> dict[str, Any]:
        raw = await request.body()
        body_name, items = _dataset_items(raw, request.headers.get("content-type", ""))
        record = runs_db.create_dataset(
            app_context(request).meta.engine,
            dataset_id=uuid.uuid4().hex,
            project_id=principal.project_id,
            name=(name or body_name or "dataset")[:200],
            items=items,
            now=datetime.now(UTC),
        )
        return {
            "id": record.id,
            "name": record.name,
            "item_count": len(record.items),
            "created_at": to_json(record.created_at),
        }

    @router.get("", summary="The project's datasets")
    def list_datasets(principal: Reader, request: Request) -> dict[str, Any]:
        rows = runs_db.list_datasets(app_context(request).meta.engine, principal.project_id)
        return {
            "datasets": [
                {"id": i, "name": n, "item_count": c, "created_at": to_json(t)}
                for i, n, c, t in rows
            ]
        }

    @router.get("/{dataset_id}", summary="One dataset with its items")
    def get_dataset(principal: Reader, request: Request, dataset_id: str) -> dict[str, Any]:
        record = runs_db.get_dataset(
            app_context(request).meta.engine, principal.project_id, dataset_id
        )
        return {
            "id": record.id,
            "name": record.name,
            "item_count": len(record.items),
            "items": record.items,
            "created_at": to_json(record.created_at),
        }

    @router.post("/{dataset_id}/experiments", status_code=202, summary="Start an experiment")
    def create_experiment(
        principal: Admin,
        request: Request,
        dataset_id: str,
        body: Annotated[dict[str, Any], Body()],
    ) -> dict[str, Any]:
        service = _service(request)
        runs_db.get_dataset(service.engine, principal.project_id, dataset_id)
        try:
            spec = ExperimentSpec.model_validate(body)
        except ValidationError as exc:
            raise _unprocessable(exc) from exc
        service.factory.build(
            evaluator=spec.evaluator, config=spec.config, template=spec.template, judge=spec.judge
        )
        run = runs_db.create_run(
            service.engine,
            run_id=uuid.uuid4().hex,
            project_id=principal.project_id,
            kind="experiment",
            now=datetime.now(UTC),
            spec={"dataset_id": dataset_id, "experiment": spec.model_dump(mode="json")},
        )
        return _run_json(run)

    @router.get("/{dataset_id}/experiments/{experiment_id}", summary="Compare an experiment")
    def get_experiment(
        principal: Reader, request: Request, dataset_id: str, experiment_id: str
    ) -> dict[str, Any]:
        run = runs_db.get_run(
            app_context(request).meta.engine, principal.project_id, experiment_id, "experiment"
        )
        if run.spec.get("dataset_id") != dataset_id:
            raise NotFoundError(f"experiment {experiment_id!r} does not exist in this dataset")
        return _run_json(run, with_results=True)

    return router


def install_evals(app: FastAPI, comp: Components) -> EvalService:
    """Add the eval service (background + span observer) and the eval routes to ``app``."""
    ctx = comp.context
    service = build_eval_service(
        comp.settings, ctx.store, ctx.meta.engine, score_observers=ctx.score_observers
    )
    ctx.extras[EVALS_EXTRA] = service
    comp.flusher.observers.append(service.observer)
    comp.background.append(service)
    app.include_router(evals_router())
    app.include_router(datasets_router())
    return service
