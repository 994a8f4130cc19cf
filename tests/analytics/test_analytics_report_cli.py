"""``heron report`` against a real HTTP server (uvicorn on loopback) over the real store."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner
from fastapi.testclient import TestClient

from heron.cli.report import report
from heron.testing.server import free_port

BAD = "bad0000000000bbb"


@pytest.fixture
def server_url(client: TestClient, traffic: Any) -> Iterator[str]:
    """The test app served over real HTTP on 127.0.0.1."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(client.app, host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_report_json_has_every_section(server_url: str) -> None:
    result = CliRunner().invoke(
        report, ["--url", server_url, "--since", "30000d", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["worst_templates"]["errors"][0]["prompt_template_hash"] == BAD
    assert [u["user_id"] for u in data["degraded_users"]["users"]] == ["u-bad"]
    assert data["alerts"] == {"configured": False, "events": []}
    assert data["costs"]["by"] == "tag"


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_report_renders_tables_and_markdown(server_url: str, fmt: str) -> None:
    result = CliRunner().invoke(report, ["--url", server_url, "--since", "30000d", "--format", fmt])
    assert result.exit_code == 0, result.output
    assert BAD in result.output
    assert "u-bad" in result.output
    assert "alerting not configured" in result.output


def test_report_says_how_to_fix_an_unreachable_server() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(report, ["--url", url])
    assert result.exit_code != 0
    assert "pass --url" in result.output
