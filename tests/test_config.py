"""Settings: environment, YAML file, validation, and the docs listing every variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from heron.config import Settings, is_loopback
from heron.errors import ConfigError
from heron.testing import repo_root


def test_env_overrides_yaml_and_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "heron.yaml"
    cfg.write_text("port: 9000\nwal_budget_bytes: 1234\n")
    monkeypatch.setenv("HERON_CONFIG_FILE", str(cfg))
    monkeypatch.setenv("HERON_PORT", "9100")
    settings = Settings()
    assert settings.port == 9100  # env beats the file
    assert settings.wal_budget_bytes == 1234  # the file beats the default
    assert settings.grpc_port == 4317


def test_bad_yaml_file_names_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "heron.yaml"
    cfg.write_text("- a\n- b\n")
    monkeypatch.setenv("HERON_CONFIG_FILE", str(cfg))
    with pytest.raises(ConfigError, match="must hold a mapping"):
        Settings()


def test_default_store_urls_live_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.resolved_store_url == f"chdb://{(tmp_path / 'telemetry').resolve()}"
    assert settings.resolved_meta_url.endswith(str(tmp_path / "meta.db"))


def test_port_range_is_checked() -> None:
    with pytest.raises(ValueError, match="outside"):
        Settings(port=70000)


@pytest.mark.parametrize(
    ("host", "loop"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.1.2.3", False),
        ("example.com", False),
    ],
)
def test_is_loopback(host: str, loop: bool) -> None:
    assert is_loopback(host) is loop


def test_every_setting_is_documented() -> None:
    doc = (repo_root() / "docs" / "configuration.md").read_text()
    missing = [n for n in Settings.model_fields if f"HERON_{n.upper()}" not in doc]
    assert not missing, f"add these to docs/configuration.md: {missing}"
