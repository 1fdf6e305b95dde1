"""Every command the image and the compose file run, run here outside a container.

newsfuse is installed as the image installs it: a regular (non-editable) install of the
package built from the build context that .dockerignore leaves. Then: the entrypoint
(``newsfuse serve``) with the environment the image sets, the healthcheck of the Dockerfile
and of compose.yaml, and the build step that bakes a model
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from deploy_support import REPO, Dockerfile, clean_environ, copy_build_context

VENV_BIN = Path(sys.executable).parent
IMAGE_VENV_BIN = "/opt/venv/bin"
IMAGE_SOURCE_DIR = "/src"


@dataclass(frozen=True, slots=True)
class ImageInstall:
    context: Path
    """The build context: the repository as .dockerignore filters it."""
    site: Path
    """The package installed from it (``pip install --target``), first on PYTHONPATH."""
    files: tuple[str, ...]


@pytest.fixture(scope="session")
def image_install(
    tmp_path_factory: pytest.TempPathFactory, dockerignore: list[str]
) -> ImageInstall:
    """Build the wheel from the build context and install it without its dependencies (they
    come from this virtualenv), the way the image runs newsfuse rather than editable."""
    root = tmp_path_factory.mktemp("image")
    context, wheels, site = root / "src", root / "wheels", root / "site"
    files = copy_build_context(REPO, context, dockerignore)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]

    def run_pip(*args: str) -> None:
        result = subprocess.run(
            [*pip, *args], capture_output=True, text=True, check=False, timeout=600
        )
        assert result.returncode == 0, result.stdout + result.stderr

    run_pip("wheel", "--no-deps", "--quiet", "--wheel-dir", str(wheels), str(context))
    (wheel,) = wheels.glob("newsfuse-*.whl")
    run_pip("install", "--no-deps", "--quiet", "--target", str(site), str(wheel))
    return ImageInstall(context, site, tuple(files))


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


def _local_env(image_env: dict[str, str], install: ImageInstall) -> dict[str, str]:
    """The image's environment, its /opt/venv mapped onto the image-style install plus this
    virtualenv (for the dependencies)."""
    env = clean_environ()
    for name, value in image_env.items():
        if name == "PATH":
            assert value.startswith(f"{IMAGE_VENV_BIN}:")
            local = f"{install.site / 'bin'}:{VENV_BIN}"
            value = value.replace(IMAGE_VENV_BIN, local, 1)
            value = value.replace("$PATH", os.environ.get("PATH", "/usr/bin:/bin"))
        env[name] = value
    env["PYTHONPATH"] = str(install.site)
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


# --- the install ------------------------------------------------------------------------


def test_image_install_is_what_runs(image_install: ImageInstall, dockerfile: Dockerfile) -> None:
    """The commands below run the package built from the build context, not the source tree."""
    env = _local_env(dockerfile.env(dockerfile.final, {"MODEL": ""}), image_install)
    probe = "import newsfuse, shutil; print(newsfuse.__file__); print(shutil.which('newsfuse'))"
    result = _run([sys.executable, "-c", probe], env, cwd=image_install.site, timeout=60)
    assert result.returncode == 0, result.stderr
    module, script = result.stdout.split()
    assert Path(module).is_relative_to(image_install.site)
    assert Path(script).is_relative_to(image_install.site)


def test_image_install_has_every_source_module(image_install: ImageInstall) -> None:
    package = REPO / "service" / "newsfuse"
    expected = {p.relative_to(package).as_posix() for p in package.rglob("*.py")}
    installed = image_install.site / "newsfuse"
    missing = sorted(p for p in expected if not (installed / p).is_file())
    assert not missing, f"the wheel leaves out {missing}"


# --- entrypoint and healthchecks ----------------------------------------------------------


def test_healthcheck_fails_without_a_server(
    dockerfile: Dockerfile, image_install: ImageInstall
) -> None:
    _require("health", "issue 4, newsfuse.server.cli")
    image_env = dockerfile.env(dockerfile.final, {"MODEL": ""})
    argv = _at_port(_healthcheck(dockerfile), image_env["NEWSFUSE_PORT"], _free_port())
    result = _run(argv, _local_env(image_env, image_install), timeout=60)
    # Docker reads 1 as unhealthy (2 is reserved)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_entrypoint_serves_until_sigterm(
    dockerfile: Dockerfile,
    compose_raw: dict[str, Any],
    image_install: ImageInstall,
    tmp_path: Path,
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
    env = _local_env(image_env, image_install)
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

    workdir = tmp_path / "home"  # like the image's WORKDIR: no source tree to lean on
    workdir.mkdir()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(argv, env=env, cwd=workdir, stdout=log, stderr=log)
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
        with urllib.request.urlopen(url, timeout=30) as response:
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


def _run_fetch_step(
    dockerfile: Dockerfile,
    install: ImageInstall,
    model: str,
    dest: Path,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """The RUN line exactly as written, through ``sh -c`` (Docker's shell form), with the
    build stage's environment and its MODEL argument, in the stage's WORKDIR (the build
    context); only /models is moved to ``dest``."""
    stage = dockerfile.stage("models")
    (step,) = [i for i in stage.all("RUN") if "fetch" in i.args]
    workdirs = [i.args for s in (dockerfile.stage("builder"), stage) for i in s.all("WORKDIR")]
    assert workdirs[-1] == IMAGE_SOURCE_DIR
    env = _local_env(dockerfile.env(stage, {"MODEL": model}), install)
    env["MODEL"] = model  # build arguments are environment variables of RUN
    env.update(extra_env or {})
    script = step.args.replace("/models", str(dest))
    return _run(["/bin/sh", "-c", script], env, cwd=install.context, timeout=300)


def test_fetch_step_without_model_fetches_nothing(
    dockerfile: Dockerfile, image_install: ImageInstall, tmp_path: Path
) -> None:
    dest = tmp_path / "models"
    result = _run_fetch_step(dockerfile, image_install, "", dest)
    assert result.returncode == 0, result.stdout + result.stderr
    assert dest.is_dir() and not any(dest.iterdir())


def _manifest_names(context: Path) -> list[str]:
    manifest = json.loads((context / "models" / "manifest.json").read_text(encoding="utf-8"))
    return [entry["name"] for entry in manifest["models"]]


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
    dockerfile: Dockerfile, image_install: ImageInstall, tmp_path: Path, network: dict[str, str]
) -> None:
    _require("models", "issue 3, newsfuse.model_store")
    names = _manifest_names(image_install.context)
    assert names, "the build context has no models/ manifest listing a model"
    env = dict(network)
    if env.get("HF_ENDPOINT") == "closed-port":
        env["HF_ENDPOINT"] = f"http://127.0.0.1:{_free_port()}"
    dest = tmp_path / "models"
    result = _run_fetch_step(dockerfile, image_install, names[0], dest, env)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert names[0] in output
    assert "Traceback" not in output
    assert not (dest / names[0] / "config.json").exists()


def test_fetch_step_with_unknown_model_names_it(
    dockerfile: Dockerfile, image_install: ImageInstall, tmp_path: Path
) -> None:
    _require("models", "issue 3, newsfuse.model_store")
    result = _run_fetch_step(
        dockerfile, image_install, "no-such-model", tmp_path / "models", {"HF_HUB_OFFLINE": "1"}
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "no-such-model" in output and "Traceback" not in output
