"""The SDK's own suite passes with only the SDK's dependencies installed (issue 7).

The main environment holds heron and the SDK together, so an SDK module that
imported the server (or one of its dependencies) would go unnoticed there. Here
a fresh virtual environment gets ``sdk[dev]`` alone, as an app would, and the SDK
suite runs in it against the installed wheel, not the source tree.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

SDK = Path(__file__).resolve().parents[2] / "sdk"
# Heron's server and the dependencies only it has: none may reach an app with the SDK.
SERVER_ONLY = ("heron", "fastapi", "uvicorn", "chdb", "clickhouse_connect", "sqlalchemy", "grpc")


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


def test_sdk_suite_passes_with_only_the_sdk_installed(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    made = _run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    installed = _run(python, "-m", "pip", "install", "--quiet", f"{SDK}[dev]", cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr[-3000:]

    probe = _run(
        python,
        "-c",
        "import importlib.util as u, sys; "
        f"print(','.join(m for m in {SERVER_ONLY!r} if u.find_spec(m)))",
        cwd=tmp_path,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "", f"server packages in the SDK's environment: {probe.stdout}"

    # The suite imports heron_sdk from the installed wheel: the source tree is not on
    # the path (cwd is the temporary directory, rootdir the sdk folder).
    suite = _run(
        python,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--import-mode=importlib",
        "-c",
        SDK / "pyproject.toml",
        "--rootdir",
        SDK,
        SDK / "tests",
        cwd=tmp_path,
    )
    assert suite.returncode == 0, suite.stdout[-4000:] + suite.stderr[-2000:]
    passed = re.search(r"(\d+) passed", suite.stdout)
    assert passed is not None, suite.stdout[-2000:]
    assert int(passed.group(1)) >= 100, suite.stdout[-2000:]
    where = _run(python, "-c", "import heron_sdk; print(heron_sdk.__file__)", cwd=tmp_path)
    assert str(venv) in where.stdout, where.stdout
