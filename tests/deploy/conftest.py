"""Fixtures of the deployment checks: the parsed Dockerfile, compose, Envoy and Prometheus files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

# The helpers live in a module of their own (test modules never import a conftest).
sys.path.insert(0, str(Path(__file__).resolve().parent))

from deploy_support import (  # noqa: E402
    COMPOSE_FILE,
    DOCKERFILE,
    DOCKERIGNORE,
    ENVOY_FILE,
    PROMETHEUS_FILE,
    Dockerfile,
    compose_cli,
    interpolate,
    parse_dockerfile,
    read_dockerignore,
    run_compose_config,
)

# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def dockerfile() -> Dockerfile:
    return parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def dockerignore() -> list[str]:
    return read_dockerignore(DOCKERIGNORE.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def compose_raw() -> dict[str, Any]:
    """compose.yaml as written, interpolated with every variable at its default."""
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return interpolate(loaded, {})


@pytest.fixture(scope="session")
def compose_rendered() -> dict[str, Any]:
    """compose.yaml as the compose tool itself validates and renders it."""
    if compose_cli() is None:
        pytest.skip(
            "no compose tool (docker compose / docker-compose) on this machine; "
            "install the Debian package docker-compose to run this check"
        )
    result = run_compose_config()
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


@pytest.fixture(scope="session", params=["as-written", "rendered"])
def compose(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Both views of compose.yaml: the structure checks must hold for each."""
    name = "compose_raw" if request.param == "as-written" else "compose_rendered"
    return request.getfixturevalue(name)


@pytest.fixture(scope="session")
def envoy() -> dict[str, Any]:
    return yaml.safe_load(ENVOY_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def prometheus() -> dict[str, Any]:
    return yaml.safe_load(PROMETHEUS_FILE.read_text(encoding="utf-8"))
