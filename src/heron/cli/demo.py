"""``heron demo``: fill a running heron with realistic traffic so every page has data."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import click
import httpx

from heron.testing.traffic import MODELS, TraceSpec, make_request

__all__ = ["demo"]

APPS = (
    ("support-bot", ["support"], "Answer the customer's question about {topic} using the context."),
    (
        "sales-assistant",
        ["sales", "email"],
        "Write a short follow-up email to {name} about {topic}.",
    ),
    ("code-review", ["dev"], "Review this diff and list bugs:\n{diff}"),
)
# A template that is bad on purpose: slow, error-prone, long outputs.
BAD_TEMPLATE = "You are an assistant. {question} Think step by step about everything, at length."


def _specs(n: int, seed: int, start: datetime, span: timedelta) -> list[TraceSpec]:
    rng = random.Random(seed)
    out: list[TraceSpec] = []
    step = span / max(n, 1)
    for i in range(n):
        service, tags, template = APPS[rng.randrange(len(APPS))]
        bad = rng.random() < 0.12
        provider, req, resp = MODELS[rng.randrange(len(MODELS))]
        out.append(
            TraceSpec(
                trace_id=rng.getrandbits(128).to_bytes(16, "big"),
                start_ns=int((start + step * i).timestamp() * 1e9),
                user_id=f"user-{rng.randrange(25):02d}",
                session_id=f"{service}-sess-{rng.randrange(80):03d}",
                provider=provider,
                request_model=req,
                response_model=resp,
                error=rng.random() < (0.25 if bad else 0.03),
                streaming=rng.random() < 0.35,
                text_bytes=3000 if bad else 1200,
                template=BAD_TEMPLATE if bad else template,
                tags=[*tags, "bad-template"] if bad else tags,
                service_name=service,
            )
        )
    return out


@click.command()
@click.option(
    "--url",
    envvar="HERON_URL",
    default="http://127.0.0.1:7070",
    show_default=True,
    show_envvar=True,
    help="Base URL of the heron to fill.",
)
@click.option(
    "--api-key",
    envvar="HERON_API_KEY",
    default=None,
    show_envvar=True,
    help="An ingest or admin key when auth is on.",
)
@click.option("--traces", default=600, show_default=True, help="How many traces to send.")
@click.option("--hours", default=6.0, show_default=True, help="Spread them over the last N hours.")
@click.option("--seed", default=42, show_default=True, help="Same seed, same traffic.")
def demo(url: str, api_key: str | None, traces: int, hours: float, seed: int) -> None:
    """Send realistic LLM traffic: several apps, models, users, sessions, templates
    (one of them bad on purpose), errors and streamed calls."""
    headers = {"Content-Type": "application/x-protobuf"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    start = datetime.now(UTC) - timedelta(hours=hours)
    specs = _specs(traces, seed, start, timedelta(hours=hours))
    by_service: dict[str, list[TraceSpec]] = {}
    for spec in specs:
        by_service.setdefault(spec.service_name, []).append(spec)
    batches = [
        (svc, items[i : i + 50])
        for svc, items in by_service.items()
        for i in range(0, len(items), 50)
    ]
    sent = 0
    with (
        httpx.Client(timeout=30) as http,
        click.progressbar(batches, label=f"sending {traces} traces to {url}") as bar,
    ):
        for index, (_, batch) in enumerate(bar):
            resp = http.post(
                f"{url}/v1/traces",
                content=make_request(batch, seed=seed + index).SerializeToString(),
                headers=headers,
            )
            if resp.status_code != 200:
                raise click.ClickException(f"{url} answered {resp.status_code}: {resp.text}")
            sent += len(batch)
    click.echo(f"sent {sent} traces ({sent * 5} spans); open {url}/ to explore them")
