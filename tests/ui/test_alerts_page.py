"""The alerts page and the sign-in error page, rendered from real alert objects."""

from __future__ import annotations

from datetime import timedelta

from heron.alerts import METRIC_UNITS, AlertRule
from heron.alerts.event import AlertEvent
from heron.alerts.state import RuleState
from heron.config import Settings
from heron.security.pii import PII_KINDS
from heron.store.meta.records import ApiKey, Project
from heron.ui.pages.project_form import MAX_RETENTION_DAYS, ProjectForm
from heron.ui.render import Renderer

from .factories import HOSTILE, T0
from .test_templates import check_safe


def rule(rule_id: str, name: str, threshold: float) -> AlertRule:
    return AlertRule(
        id=rule_id, project_id="p1", name=name, metric="p95_latency", threshold=threshold
    )


def render(**context: object) -> str:
    base: dict[str, object] = {"path": "/alerts", "installed": True, "units": METRIC_UNITS}
    return Renderer().html("alerts.html", {**base, **context})


def test_rules_show_state_and_current_value_and_history() -> None:
    firing = RuleState(state="firing", since=T0, last_value=9.25, last_evaluated_at=T0)
    event = AlertEvent(
        rule_id="slow", project_id="p1", rule_name=HOSTILE, severity="warning",
        state_from="pending", state_to="firing", value=9.25, threshold=8.0,
        at=T0 + timedelta(minutes=1), message=f"p95 above 8s: {HOSTILE}",
    )  # fmt: skip
    html = render(
        rules=[(rule("slow", HOSTILE, 8), firing), (rule("quiet", "Quiet", 1), None)],
        events=[event],
    )
    check_safe(html)
    assert html.count('<tr class="alert-') == 2
    assert 'class="badge err">firing' in html
    assert "9.25 s" in html
    assert "over 5m" in html
    assert "never" in html  # the rule without state was never evaluated
    assert "pending → firing" in html


def test_no_rules_and_not_installed_say_so() -> None:
    assert "No alert rules yet" in render(rules=[], events=[])
    assert "Alerting is not enabled" in render(installed=False, rules=[], events=[])


def test_sign_in_page_links_to_login() -> None:
    html = Renderer().html(
        "error.html", {"path": "/traces", "code": 401, "auth": True, "message": "sign in"}
    )
    check_safe(html)
    assert 'href="/login"' in html
    assert "no sign-in yet" not in html


def test_evals_page_lists_rules_and_the_score_distribution() -> None:
    from heron.evals.rules import EvalRule
    from heron.ui.charts import histogram
    from heron.ui.params import RANGE_PRESETS, parse_time_choice

    rules = [
        EvalRule(id="r1", project_id="p1", name=HOSTILE, evaluator="pii", sample_rate=0.25),
        EvalRule(id="r2", project_id="p1", name="Off", evaluator="pii", enabled=False),
    ]
    values = [0.1, 0.5, 0.5, 0.9]
    html = Renderer().html(
        "evals.html",
        {
            "path": "/evals",
            "choice": parse_time_choice({}, "24h"),
            "presets": RANGE_PRESETS,
            "charts": [],
            "scored": [],
            "has_scores": True,
            "rules": rules,
            "distribution": histogram(values, title="Eval score distribution", unit="score"),
        },
    )
    check_safe(html)
    table = html.split('id="eval-rules"')[1].split("</table>")[0]
    assert table.count("<tr>") == 3  # header + two rules
    assert "25.0%" in table
    assert "disabled" in table
    assert "Eval score distribution" in html
    assert html.count('class="bar s0"') >= 2


def settings_form_context(project: Project, **extra: object) -> dict[str, object]:
    """The project-settings form's part of the Settings page context."""
    return {
        "project_form": ProjectForm.of_project(project, Settings()),
        "project_error": None,
        "flash": None,
        "pii_kinds": PII_KINDS,
        "max_retention_days": MAX_RETENTION_DAYS,
        "server_capture": True,
        **extra,
    }


def test_settings_shows_the_new_secret_once_and_revoke_forms() -> None:

    project = Project(id="p1", name="default", created_at=T0, retention_days=30)
    active = ApiKey(
        id="k1", project_id="p1", role="read", name=HOSTILE, prefix="heron_r_x", created_at=T0
    )
    revoked = ApiKey(
        id="k2", project_id="p1", role="ingest", name="old", prefix="heron_i_y",
        created_at=T0, revoked_at=T0,
    )  # fmt: skip
    context = {
        "path": "/settings", "project": project, "keys": [active, revoked],
        "auth_required": False, "store_engine": "chdb", "meta_engine": "sqlite",
        "base_url": "http://127.0.0.1:4318", "new_key": active, "new_secret": "heron_r_xSECRET",
        **settings_form_context(project),
    }  # fmt: skip
    html = Renderer().html("settings.html", context)
    check_safe(html)
    assert html.count("heron_r_xSECRET") == 1
    assert html.count('class="revoke"') == 1  # only the active key can be revoked
    assert 'action="/settings/keys/k1/revoke"' in html
    assert "30 days" in html
    again = Renderer().html("settings.html", {**context, "new_key": None, "new_secret": None})
    assert "heron_r_xSECRET" not in again
