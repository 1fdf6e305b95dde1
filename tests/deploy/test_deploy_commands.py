"""Every command the image and the compose file run, run here outside a container.

The entrypoint (``newsfuse serve``) with the environment the image sets, the healthcheck of
the Dockerfile and of compose.yaml, and the build step that bakes a model
(``newsfuse models fetch "$MODEL" --dest /models``) with MODEL empty and with a manifest
name while no model hub can be reached.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_support import REPO, Dockerfile, clean_environ

VENV_BIN = Path(sys.executable).parent
IMAGE_VENV_BIN = "/opt/venv/bin"


@functools.cache
def _has_subcommand(name: str) -> bool:
    result = subprocess.run(
        [str(VENV_BIN / "newsfuse"), name, "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return result.returncode == 0


def _require(name: str, owner: str) -> None:
    if not (VENV_BIN / "newsfuse").exists():
        pytest.skip(f"the newsfuse command is not installed in {VENV_BIN}")
    if not _has_subcommand(name):
        pytest.skip(f"`newsfuse {name}` does not exist yet ({owner})")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _local_env(image_env: dict[str, str]) -> dict[str, str]:
    """The image's environment with its venv mapped onto this one's."""
    env = clean_environ()
    for name, value in image_env.items():
        if name == "PATH":
            assert value.startswith(f"{IMAGE_VENV_BIN}:")
            value = value.replace(IMAGE_VENV_BIN, str(VENV_BIN), 1)
            value = value.replace("$PATH", os.environ.get("PATH", "/usr/bin:/bin"))
        env[name] = value
    return env


def _exec_form(instruction_args: str) -> list[str]:
    argv = json.loads(instruction_args)
    assert isinstance(argv, list)
    return argv


def _healthcheck(dockerfile: Dockerfile) -> list[str]:
    (healthcheck,) = dockerfile.final.all("HEALTHCHECK")
    command = healthcheck.without_flags()
    assert command.startswith("CMD [")
    return _exec_form(command[len("CMD ") :])


def _at_port(argv: list[str], image_port: str, port: int) -> list[str]:
    """The same command aimed at this test's server instead of the image's fixed port."""
    address = f"127.0.0.1:{image_port}"
    assert address in argv, argv
    return [f"127.0.0.1:{port}" if arg == address else arg for arg in argv]


def _run(argv: list[str], env: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, capture_output=True, text=True, check=False, **kwargs)


# --- entrypoint and healthchecks ----------------------------------------------------------


def test_healthcheck_fails_without_a_server(dockerfile: Dockerfile) -> None:
    _require("health", "issue 4, newsfuse.server.cli")
    image_env = dockerfile.env(dockerfile.final, {"MODEL": ""})
    argv = _at_port(_healthcheck(dockerfile), image_env["NEWSFUSE_PORT"], _free_port())
    result = _run(argv, _local_env(image_env), timeout=60)
    # Docker reads 1 as unhealthy (2 is reserved)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_entrypoint_serves_until_sigterm(
    dockerfile: Dockerfile, compose_raw: dict[str, Any], tmp_path: Path
) -> None:
    """`newsfuse serve` with the image's environment: SERVING per both healthchecks, metrics
    where Prometheus looks, then SIGTERM drains and exits 0."""
    _require("serve", "issue 4, newsfuse.server.cli")
    _require("health", "issue 4, newsfuse.server.cli")
    image_env = dockerfile.env(dockerfile.final, {"MODEL": ""})
    (entrypoint,) = dockerfile.final.all("ENTRYPOINT")
    (cmd,) = dockerfile.final.all("CMD")
    argv = _exec_form(entrypoint.args) + _exec_form(cmd.args)
    grpc_port, metrics_port = _free_port(), _free_port()
    env = _local_env(image_env)
    # the image listens on 0.0.0.0 inside its own network namespace; here: loopback only
    env.update(
        NEWSFUSE_HOST="127.0.0.1",
        NEWSFUSE_PORT=str(grpc_port),
        NEWSFUSE_METRICS_PORT=str(metrics_port),
        NEWSFUSE_THREADS="1",
    )
    image_port = image_env["NEWSFUSE_PORT"]
    docker_check = _at_port(_healthcheck(dockerfile), image_port, grpc_port)
    compose_test = compose_raw["services"]["newsfuse"]["healthcheck"]["test"]
    assert compose_test[0] == "CMD"
    compose_check = _at_port(compose_test[1:], image_port, grpc_port)

    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        # cwd: an empty directory, like the image's WORKDIR; nothing may rely on the source tree
        server = subprocess.Popen(argv, env=env, cwd=tmp_path, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 240
        while True:
            assert server.poll() is None, f"server exited early:\n{log_path.read_text()}"
            check = _run(docker_check, env, timeout=60)
            if check.returncode == 0:
                break
            assert time.monotonic() < deadline, f"never SERVING:\n{log_path.read_text()}"
            time.sleep(0.5)
        assert "SERVING" in check.stdout

        compose_result = _run(compose_check, env, timeout=60)
        assert compose_result.returncode == 0, compose_result.stdout + compose_result.stderr

        url = f"http://127.0.0.1:{metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback)
            metrics = response.read().decode()
        assert "newsfuse_" in metrics

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=90) == 0, log_path.read_text()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    after = _run(docker_check, env, timeout=60)
    assert after.returncode == 1


# --- the model build step -----------------------------------------------------------------


def _fetch_step(dockerfile: Dockerfile) -> str:
    (step,) = [i for i in dockerfile.stage("models").all("RUN") if "models fetch" in i.args]
    return step.args


def _run_fetch_step(
    dockerfile: Dockerfile, model: str, dest: Path, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The RUN line exactly as written, with /models moved to ``dest``, through ``sh -c``
    (Docker's shell form) and the build stage's environment plus its MODEL argument."""
    script = _fetch_step(dockerfile).replace("/models", str(dest))
    env = _local_env(dockerfile.env(dockerfile.stage("models"), {"MODEL": model}))
    env["MODEL"] = model  # build arguments are environment variables of RUN
    env.update(extra_env or {})
    return _run(["/bin/sh", "-c", script], env, cwd=REPO, timeout=300)


def test_fetch_step_without_model_fetches_nothing(dockerfile: Dockerfile, tmp_path: Path) -> None:
    dest = tmp_path / "models"
    result = _run_fetch_step(dockerfile, "", dest)
    assert result.returncode == 0, result.stdout + result.stderr
    assert dest.is_dir() and not any(dest.iterdir())


def _manifest_names() -> list[str]:
    for path in sorted((REPO / "models").glob("manifest.*")):
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))  # YAML reads JSON too
        entries = loaded.get("models", loaded) if isinstance(loaded, dict) else loaded
        if isinstance(entries, dict):
            return sorted(entries)
        return sorted(entry["name"] for entry in entries)
    return []


@pytest.mark.parametrize(
    "network",
    [
        pytest.param({"HF_HUB_OFFLINE": "1"}, id="hub-offline"),
        # nothing listens there: what a build without network access sees, without ever
        # reaching a real hub from a machine that has one
        pytest.param({"HF_HUB_OFFLINE": "0", "HF_ENDPOINT": "closed-port"}, id="hub-unreachable"),
    ],
)
def test_fetch_step_with_model_and_no_hub_fails_clearly(
    dockerfile: Dockerfile, tmp_path: Path, network: dict[str, str]
) -> None:
    _require("models", "issue 3, newsfuse.model_store")
    names = _manifest_names()
    assert names, "the models/ manifest lists no model"
    env = dict(network)
    if env.get("HF_ENDPOINT") == "closed-port":
        env["HF_ENDPOINT"] = f"http://127.0.0.1:{_free_port()}"
    dest = tmp_path / "models"
    result = _run_fetch_step(dockerfile, names[0], dest, env)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert names[0] in output
    assert "Traceback" not in output
    assert not (dest / names[0] / "config.json").exists()


def test_fetch_step_with_unknown_model_names_it(dockerfile: Dockerfile, tmp_path: Path) -> None:
    _require("models", "issue 3, newsfuse.model_store")
    result = _run_fetch_step(
        dockerfile, "no-such-model", tmp_path / "models", {"HF_HUB_OFFLINE": "1"}
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "no-such-model" in output and "Traceback" not in output
