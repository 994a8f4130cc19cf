"""REST API for alerts: rule CRUD, the event history and each rule's current state.

Rules belong to the caller's project (from its API key): reads need a read
key, writes an admin key, and another project's rule answers 404. Bodies are
validated by :class:`heron.alerts.AlertRule` (durations as ``"5m"`` or
seconds; ``for`` is the pending duration). :func:`install_alerting` wires the
alert service and this router into an app.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Query, Request, Response
from pydantic import ValidationError

from heron.alerts import METRIC_UNITS, AlertRule
from heron.alerts.persistence import MetaAlertStore, state_to_json
from heron.alerts.service import AlertService, build_alert_service
from heron.api.context import app_context, authorizer
from heron.auth import Principal
from heron.errors import ConfigError, QueryError
from heron.query import parse_duration, parse_instant

if TYPE_CHECKING:
    from heron.app import Components

__all__ = ["ALERTS_EXTRA", "alerts_router", "install_alerting"]

ALERTS_EXTRA = "alerts"
"""Key of the :class:`MetaAlertStore` in ``AppContext.extras``."""

Reader = Annotated[Principal, Depends(authorizer("read"))]
Admin = Annotated[Principal, Depends(authorizer("admin"))]
_RULE_BODY = Body(
    description="An alert rule: name, metric, threshold, comparison, window, for, severity, "
    "filter, labels, enabled, repeat_interval, notifiers, description (id optional on POST).",
    examples=[{"name": "Slow checkout", "metric": "p95_latency", "threshold": 8,
               "window": "5m", "for": "2m", "filter": {"model": "gpt-4o"}}],
)  # fmt: skip


def _store(request: Request) -> MetaAlertStore:
    store = app_context(request).extras.get(ALERTS_EXTRA)
    if not isinstance(store, MetaAlertStore):
        raise ConfigError("alerting is not installed in this app (install_alerting was not called)")
    return store


def _rule_json(rule: AlertRule) -> dict[str, Any]:
    data = rule.to_file_dict()
    data["unit"] = METRIC_UNITS[rule.metric]
    return data


def _validate(body: dict[str, Any], project_id: str, rule_id: str | None) -> AlertRule:
    if not isinstance(body, dict):
        raise HTTPException(422, detail="the body must be a JSON object describing one rule")
    data = dict(body)
    given = data.pop("project_id", project_id)
    if given != project_id:
        raise HTTPException(
            422, detail="project_id comes from the API key; leave it out of the body"
        )
    if rule_id is not None:
        if data.setdefault("id", rule_id) != rule_id:
            raise HTTPException(422, detail=f"body id {data['id']!r} differs from the URL's")
    else:
        data.setdefault("id", uuid.uuid4().hex[:12])
    try:
        return AlertRule.model_validate({**data, "project_id": project_id})
    except ValidationError as exc:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        raise HTTPException(422, detail=errors) from exc


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.now(UTC) - parse_duration(text)
    except QueryError:
        return parse_instant(text)


def alerts_router() -> APIRouter:
    """``/api/v1/alerts/...``: rules (CRUD), events and state of the caller's project."""
    router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])

    @router.get("/rules", summary="The project's alert rules")
    def list_rules(principal: Reader, request: Request) -> dict[str, Any]:
        store = _store(request)
        store.ensure_defaults(principal.project_id)
        return {"rules": [_rule_json(r) for r in store.list_rules(principal.project_id)]}

    @router.post("/rules", status_code=201, summary="Create an alert rule")
    def create_rule(
        principal: Admin, request: Request, body: Annotated[dict[str, Any], _RULE_BODY]
    ) -> dict[str, Any]:
        store = _store(request)
        store.ensure_defaults(principal.project_id)
        rule = _validate(body, principal.project_id, None)
        return _rule_json(store.create_rule(rule))

    @router.get("/rules/{rule_id}", summary="One alert rule")
    def get_rule(principal: Reader, request: Request, rule_id: str) -> dict[str, Any]:
        return _rule_json(_store(request).get_rule(principal.project_id, rule_id))

    @router.put("/rules/{rule_id}", summary="Replace an alert rule (its state is kept)")
    def put_rule(
        principal: Admin, request: Request, rule_id: str,
        body: Annotated[dict[str, Any], _RULE_BODY],
    ) -> dict[str, Any]:  # fmt: skip
        rule = _validate(body, principal.project_id, rule_id)
        return _rule_json(_store(request).replace_rule(rule))

    @router.delete("/rules/{rule_id}", status_code=204, summary="Delete an alert rule")
    def delete_rule(principal: Admin, request: Request, rule_id: str) -> Response:
        _store(request).delete_rule(principal.project_id, rule_id)
        return Response(status_code=204)

    @router.get("/events", summary="Alert state changes, newest first")
    def list_events(
        principal: Reader,
        request: Request,
        state: Literal["ok", "pending", "firing", "resolved", "no_data"] | None = None,
        since: Annotated[
            str | None, Query(description="A duration back from now (1h) or an RFC 3339 time.")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        events = _store(request).events(
            principal.project_id, state=state, since=_since(since), limit=limit
        )
        return {"events": [e.to_record() for e in events]}

    @router.get("/state", summary="Each rule's current state and last value")
    def rule_states(principal: Reader, request: Request) -> dict[str, Any]:
        store = _store(request)
        store.ensure_defaults(principal.project_id)
        rules = []
        for rule, state in store.states(principal.project_id):
            saved = state_to_json(state) if state is not None else None
            rules.append({
                "rule_id": rule.id, "name": rule.name, "metric": rule.metric,
                "unit": METRIC_UNITS[rule.metric], "enabled": rule.enabled,
                "severity": rule.severity, "condition": rule.condition_text(),
                "state": saved["state"] if saved else "ok",
                "value": saved["last_value"] if saved else None,
                "since": saved["since"] if saved else None,
                "last_evaluated_at": saved["last_evaluated_at"] if saved else None,
            })  # fmt: skip
        return {"rules": rules}

    return router


def install_alerting(app: FastAPI, comp: Components) -> AlertService:
    """Add the alert service to ``comp.background`` and the alerts router to ``app``."""
    ctx = comp.context
    service = build_alert_service(comp.settings, ctx.store, ctx.meta)
    ctx.extras[ALERTS_EXTRA] = service.store
    comp.background.append(service)
    app.include_router(alerts_router())
    return service
