"""The image, compose stack, Envoy and Prometheus files: parsed and checked against each other.

What runs inside the image is exercised in test_deploy_commands.py; here: the files say
what the project needs (non-root, ports, healthcheck, model build argument, replicas behind
the load balancer, every replica scraped) and agree with each other and with ``Settings``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import PurePosixPath
from typing import Any

import pytest
import yaml
from deploy_support import (
    COMPOSE_FILE,
    ENVOY_FILE,
    PROMETHEUS_FILE,
    REPO,
    Dockerfile,
    compose_cli,
    dockerignore_excludes,
    import_envoy_types,
    run_compose_config,
)
from newsfuse.settings import Settings

SERVICE = "newsfuse"
GPU_SERVICE = "newsfuse-gpu"
DEFAULTS = Settings()
SETTING_ENV = {f"NEWSFUSE_{name.upper()}" for name in Settings.__dataclass_fields__}


def _runtime_env(dockerfile: Dockerfile, model: str = "") -> dict[str, str]:
    return dockerfile.env(dockerfile.final, {"MODEL": model})


# --- Dockerfile ---------------------------------------------------------------------------


def test_dockerfile_is_multi_stage_on_a_slim_python_base(dockerfile: Dockerfile) -> None:
    assert len(dockerfile.stages) >= 3
    base = dockerfile.global_args["BASE_IMAGE"]
    assert base is not None and base.startswith("python:3.11") and "slim" in base
    known = {s.name for s in dockerfile.stages if s.name}
    for stage in dockerfile.stages:
        assert stage.base in known or stage.base == base, stage.base
    # the image that ships and the one that builds share the base (a venv is not portable
    # across Python installations), and that base is the BASE_IMAGE argument
    assert dockerfile.root_image(dockerfile.final) == base
    assert dockerfile.root_image(dockerfile.stage("builder")) == base


def test_cuda_base_installs_python_when_missing(dockerfile: Dockerfile) -> None:
    """BASE_IMAGE=nvidia/cuda:... has no Python 3.11: the base stage must install it."""
    first = dockerfile.stages[0]
    runs = " ".join(i.args for i in first.all("RUN"))
    assert "command -v python3.11" in runs and "python3.11-venv" in runs


def test_torch_is_installed_first_with_the_makefiles_pin(dockerfile: Dockerfile) -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    pin = re.search(r"^TORCH_SPEC \?= (\S+)$", makefile, re.MULTILINE)
    assert pin is not None
    builder = dockerfile.stage("builder")
    assert builder.args()["TORCH_SPEC"] == pin.group(1) == "torch==2.13.0"
    assert builder.args()["TORCH_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"
    runs = [i.args for i in builder.all("RUN")]
    torch_step = next(i for i, run in enumerate(runs) if '"$TORCH_SPEC"' in run)
    assert "${TORCH_INDEX_URL:+--index-url" in runs[torch_step]
    project_step = next(i for i, run in enumerate(runs) if re.search(r"pip install \"?\.", run))
    assert torch_step < project_step
    # a regular install (the source tree stays behind in the builder), never editable
    assert not any(re.search(r"pip install .*(-e|--editable)\b", run) for run in runs)


def test_runtime_runs_as_a_non_root_user(dockerfile: Dockerfile) -> None:
    users = dockerfile.final.all("USER")
    assert users, "the final stage sets no USER: the server would run as root"
    user = users[-1].args.split(":")[0]
    assert user not in ("root", "0")
    created = " ".join(i.args for i in dockerfile.final.all("RUN"))
    assert f"--uid {user}" in created or f"useradd {user}" in created
    position = dockerfile.final.instructions.index
    assert position(users[-1]) < position(dockerfile.final.all("HEALTHCHECK")[-1])


def test_exposes_the_grpc_and_metrics_ports(dockerfile: Dockerfile) -> None:
    exposed = {int(p.split("/")[0]) for i in dockerfile.final.all("EXPOSE") for p in i.args.split()}
    env = _runtime_env(dockerfile)
    assert exposed == {DEFAULTS.port, DEFAULTS.metrics_port}
    assert int(env["NEWSFUSE_PORT"]) == DEFAULTS.port
    assert int(env["NEWSFUSE_METRICS_PORT"]) == DEFAULTS.metrics_port


def test_healthcheck_asks_the_grpc_health_service(dockerfile: Dockerfile) -> None:
    (healthcheck,) = dockerfile.final.all("HEALTHCHECK")
    options = healthcheck.flags()
    assert {"interval", "timeout", "start-period", "retries"} <= options.keys()
    command = healthcheck.without_flags()
    assert command.startswith("CMD ")
    argv = json.loads(command[4:])
    assert argv[:3] == ["newsfuse", "health", "--address"]
    assert argv[3] == f"127.0.0.1:{_runtime_env(dockerfile)['NEWSFUSE_PORT']}"
    # its own gRPC deadline ends before Docker's, so a slow answer reads as "unhealthy"
    own = float(argv[argv.index("--timeout") + 1])
    assert own < float(options["timeout"].rstrip("s"))


def test_entrypoint_is_newsfuse_serve(dockerfile: Dockerfile) -> None:
    (entrypoint,) = dockerfile.final.all("ENTRYPOINT")
    (cmd,) = dockerfile.final.all("CMD")
    assert (entrypoint.exec_form() or []) + (cmd.exec_form() or []) == ["newsfuse", "serve"]


def test_model_build_argument_bakes_a_manifest_entry(
    dockerfile: Dockerfile, dockerignore: list[str]
) -> None:
    models = dockerfile.stage("models")
    assert models.args()["MODEL"] == ""
    (fetch,) = [i for i in models.all("RUN") if "fetch" in i.args]
    assert 'if [ -n "$MODEL" ]; then' in fetch.args
    manifest = "models/manifest.json"  # relative to WORKDIR /src, the build context
    command = f'newsfuse models --manifest {manifest} fetch "$MODEL" --dest "/models/$MODEL"'
    assert command in fetch.args
    assert (REPO / manifest).is_file()
    assert not dockerignore_excludes(dockerignore, manifest)
    copies = [i for i in dockerfile.final.all("COPY") if i.flags().get("from") == "models"]
    assert copies and copies[0].without_flags().split() == ["/models", "/models"]
    assert dockerfile.final.args()["MODEL"] == ""


def test_runtime_env_selects_the_baked_model_and_stays_offline(dockerfile: Dockerfile) -> None:
    plain = _runtime_env(dockerfile)
    baked = _runtime_env(dockerfile, model="distilbart-cnn-12-6")
    assert plain["NEWSFUSE_MODEL"] == ""  # Settings reads "" as unset: extractive
    assert baked["NEWSFUSE_MODEL"] == "/models/distilbart-cnn-12-6"
    assert Settings.from_env(plain).model is None
    assert Settings.from_env(baked).model == "/models/distilbart-cnn-12-6"
    assert plain["HF_HUB_OFFLINE"] == "1"
    assert plain["PATH"].startswith("/opt/venv/bin:")
    unknown = {k for k in plain if k.startswith("NEWSFUSE_")} - SETTING_ENV
    assert not unknown, f"ENV sets variables no setting reads: {unknown}"
    Settings.from_env(plain)  # every value parses and validates


def test_runtime_preloads_jemalloc_which_it_installs(dockerfile: Dockerfile) -> None:
    # glibc's heaps kept growing under load; jemalloc keeps the server flat (reliability.md).
    runs = " ".join(i.args for i in dockerfile.final.all("RUN"))
    assert "apt-get install" in runs and "libjemalloc2" in runs
    assert _runtime_env(dockerfile)["LD_PRELOAD"] == "libjemalloc.so.2"  # Debian's soname


def test_builder_installs_into_the_venv_the_runtime_copies(dockerfile: Dockerfile) -> None:
    builder_runs = " ".join(i.args for i in dockerfile.stage("builder").all("RUN"))
    assert "-m venv /opt/venv" in builder_runs
    copied = [i.without_flags().split() for i in dockerfile.final.all("COPY")]
    assert ["/opt/venv", "/opt/venv"] in copied


# --- .dockerignore ------------------------------------------------------------------------


def _tracked_files() -> list[str]:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    result = subprocess.run(
        [git, "ls-files"], cwd=REPO, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        pytest.skip("not a git checkout")
    return [line for line in result.stdout.splitlines() if line]


@pytest.mark.parametrize(
    "path",
    [
        "tests/deploy/test_deploy_files.py",
        "tests/unit/test_anything.py",
        ".venv/bin/python",
        ".git/HEAD",
        "service/newsfuse/__pycache__/cli.cpython-311.pyc",
        ".pytest_cache/v/cache/nodeids",
        ".ruff_cache/CACHEDIR.TAG",
        "bench/results/seq2seq.json",
        "models/distilbart-cnn-12-6/model.safetensors",
        "models/distilbart-cnn-12-6/config.json",
        "models/tiny.v1.1/tokenizer.json",
        "build/lib/newsfuse/cli.py",
        "service/newsfuse.egg-info/PKG-INFO",
    ],
)
def test_dockerignore_keeps_out(dockerignore: list[str], path: str) -> None:
    assert dockerignore_excludes(dockerignore, path)


@pytest.mark.parametrize(
    "path",
    [
        "pyproject.toml",
        "README.md",
        "service/newsfuse/__init__.py",
        "service/newsfuse/server/cli.py",
        "protos/newsfuse/v1/summarizer.proto",
        "models/README.md",
        "models/manifest.yaml",
        "models/manifest.json",
        "models/manifest.toml",
    ],
)
def test_dockerignore_keeps_what_the_build_needs(dockerignore: list[str], path: str) -> None:
    assert not dockerignore_excludes(dockerignore, path)


def test_dockerignore_keeps_every_package_file(dockerignore: list[str]) -> None:
    needed = [p for p in _tracked_files() if p.startswith(("service/", "models/", "protos/"))]
    needed += ["pyproject.toml", "README.md"]
    dropped = [p for p in needed if dockerignore_excludes(dockerignore, p)]
    assert not dropped


def test_dockerignore_patterns_follow_dockers_reading(dockerignore: list[str]) -> None:
    """A trailing "/" is dropped by Docker: "models/*/" would also drop the manifest."""
    assert dockerignore_excludes(["models/*"], "models/manifest.yaml")
    assert not dockerignore_excludes(["models/*", "!models/manifest.*"], "models/manifest.yaml")
    assert dockerignore_excludes(["**/__pycache__"], "__pycache__/x.pyc")
    assert not dockerignore_excludes(["tests"], "service/tests_helper.py")


# --- compose ------------------------------------------------------------------------------

_SERVICE_KEYS = {
    "build", "command", "container_name", "depends_on", "deploy", "entrypoint", "environment",
    "env_file", "expose", "healthcheck", "image", "init", "labels", "logging", "networks",
    "ports", "profiles", "restart", "stop_grace_period", "stop_signal", "ulimits", "user",
    "volumes", "working_dir",
}  # fmt: skip


def _environment(service: dict[str, Any]) -> dict[str, str | None]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return {k: v for k, _, v in (e.partition("=") for e in env)}
    return {k: (None if v is None else str(v)) for k, v in env.items()}


def _seconds(value: Any) -> float:
    total = 0.0
    for number, unit in re.findall(r"([\d.]+)(ms|h|m|s)", str(value)):
        total += float(number) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
    return total


def _volume_targets(service: dict[str, Any]) -> dict[str, str]:
    """Mount target -> source (relative bind sources resolved against the repo)."""
    found = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            source, target = str(volume.get("source", "")), volume["target"]
        else:
            source, target = volume.split(":")[:2]
        found[target] = source
    return found


def _bind_source(source: str) -> PurePosixPath | None:
    if source.startswith(("./", "../", "/")):
        path = PurePosixPath(source)
        return path if path.is_absolute() else PurePosixPath(REPO.as_posix()) / path
    return None


def test_compose_file_structure(compose_raw: dict[str, Any]) -> None:
    """The schema check for machines without a compose tool: known keys, declared volumes,
    existing build contexts and bind-mount sources."""
    allowed = {"version", "services", "volumes", "networks", "configs", "secrets"}
    assert not {k for k in compose_raw if not k.startswith("x-")} - allowed
    declared = set((compose_raw.get("volumes") or {}).keys())
    for name, service in compose_raw["services"].items():
        unknown = {k for k in service if not k.startswith("x-")} - _SERVICE_KEYS
        assert not unknown, f"{name}: unknown keys {unknown}"
        assert "image" in service or "build" in service, name
        if "build" in service:
            context = REPO / service["build"]["context"]
            assert (context / service["build"].get("dockerfile", "Dockerfile")).is_file()
        for target, source in _volume_targets(service).items():
            assert target.startswith("/"), (name, target)
            bind = _bind_source(source)
            if bind is None:
                assert source in declared, f"{name}: volume {source!r} is not declared"
            else:
                assert os.path.exists(bind), f"{name}: {bind} does not exist"
        healthcheck = service.get("healthcheck")
        if healthcheck:
            assert healthcheck["test"][0] in ("CMD", "CMD-SHELL", "NONE")


def test_compose_validates_with_the_compose_tool() -> None:
    if compose_cli() is None:
        pytest.skip("no compose tool on this machine (apt-get install docker-compose)")
    for extra in ([], ["--profile", "gpu"]):
        result = run_compose_config(*extra)
        assert result.returncode == 0, result.stderr
        rendered = yaml.safe_load(result.stdout)
        assert {SERVICE, "envoy", "prometheus"} <= rendered["services"].keys()


def test_compose_builds_this_image(compose: dict[str, Any], dockerfile: Dockerfile) -> None:
    service = compose["services"][SERVICE]
    build = service["build"]
    assert (REPO / build["context"]).resolve() == REPO
    assert build.get("dockerfile", "Dockerfile") == "Dockerfile"
    assert set(build.get("args", {})) <= set(dockerfile.global_args) | {
        name for stage in dockerfile.stages for name in stage.args()
    }
    assert "MODEL" in build["args"]


def test_compose_replicas_are_scalable(compose: dict[str, Any]) -> None:
    service = compose["services"][SERVICE]
    assert int(service["deploy"]["replicas"]) >= 2
    # fixed host ports or a fixed name would collide as soon as there are two replicas
    assert "ports" not in service and "container_name" not in service
    limits = service["deploy"]["resources"]["limits"]
    assert float(limits["cpus"]) > 0 and limits["memory"]
    env = _environment(service)
    # torch sizes its thread pool by the host's cores, not the container's CPU limit
    assert float(env["NEWSFUSE_THREADS"]) == float(limits["cpus"])


def test_compose_healthcheck_matches_the_image(
    compose: dict[str, Any], dockerfile: Dockerfile
) -> None:
    (image_check,) = dockerfile.final.all("HEALTHCHECK")
    argv = json.loads(image_check.without_flags()[4:])
    for name in (SERVICE, GPU_SERVICE):
        healthcheck = compose["services"][name]["healthcheck"]
        assert healthcheck["test"] == ["CMD", *argv]
        assert _seconds(healthcheck["start_period"]) >= 60


def test_compose_configures_by_environment(compose: dict[str, Any]) -> None:
    for name in (SERVICE, GPU_SERVICE):
        service = compose["services"][name]
        env = _environment(service)
        unknown = {k for k in env if k.startswith("NEWSFUSE_")} - SETTING_ENV
        assert not unknown, f"{name}: no setting reads {unknown}"
        assert "NEWSFUSE_MODEL" in env and env["NEWSFUSE_MODEL"] in (None, "")
        assert env["HF_HUB_OFFLINE"] == "1"
        assert int(env["NEWSFUSE_PORT"]) == DEFAULTS.port
        assert int(env["NEWSFUSE_METRICS_PORT"]) == DEFAULTS.metrics_port
        Settings.from_env({k: v for k, v in env.items() if v is not None})
        # SIGTERM drains for NEWSFUSE_GRACE_SECONDS; Docker must wait longer before SIGKILL
        assert _seconds(service["stop_grace_period"]) > float(env["NEWSFUSE_GRACE_SECONDS"])
        assert "/models" in _volume_targets(service)


def test_compose_gpu_profile_reserves_a_gpu(compose: dict[str, Any]) -> None:
    gpu = compose["services"][GPU_SERVICE]
    assert gpu["profiles"] == ["gpu"]
    assert "cuda" in gpu["build"]["args"]["BASE_IMAGE"]
    assert gpu["build"]["args"]["TORCH_INDEX_URL"] == ""  # PyPI's CUDA build of torch
    (device,) = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert "gpu" in device["capabilities"] and device["driver"] == "nvidia"
    assert _environment(gpu)["NEWSFUSE_DEVICE"] == "cuda"
    assert "profiles" not in compose["services"][SERVICE]


def _mounted(service: dict[str, Any], path: PurePosixPath) -> str:
    for target, source in _volume_targets(service).items():
        if _bind_source(source) == PurePosixPath(path.as_posix()):
            return target
    raise AssertionError(f"{path} is not mounted")


def _published(service: dict[str, Any]) -> dict[int, int]:
    """Container port -> host port."""
    found = {}
    for port in service.get("ports", []):
        if isinstance(port, dict):
            found[int(port["target"])] = int(port["published"])
        else:
            *_, host, container = str(port).split("/")[0].split(":")
            found[int(container)] = int(host)
    return found


def test_compose_envoy_fronts_the_replicas(compose: dict[str, Any], envoy: dict[str, Any]) -> None:
    service = compose["services"]["envoy"]
    target = _mounted(service, PurePosixPath(ENVOY_FILE.as_posix()))
    assert service["command"][service["command"].index("-c") + 1] == target
    published = _published(service)
    listener = envoy["static_resources"]["listeners"][0]
    assert listener["address"]["socket_address"]["port_value"] in published
    assert envoy["admin"]["address"]["socket_address"]["port_value"] in published


def test_compose_prometheus_reads_its_config(compose: dict[str, Any]) -> None:
    service = compose["services"]["prometheus"]
    target = _mounted(service, PurePosixPath(PROMETHEUS_FILE.as_posix()))
    assert f"--config.file={target}" in service["command"]
    assert "image" in service and "build" not in service


def test_compose_file_mentions_no_unset_variables_without_defaults() -> None:
    """Every ${VAR} has a default (or is a pass-through), so a bare `up` works."""
    text = COMPOSE_FILE.read_text(encoding="utf-8").replace("$$", "")
    bare = re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text)
    assert not bare, f"variables without a default: {bare}"


# --- Envoy --------------------------------------------------------------------------------


def _clusters(envoy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in envoy["static_resources"]["clusters"]}


def _routes(envoy: dict[str, Any]) -> list[dict[str, Any]]:
    routes = []
    for listener in envoy["static_resources"]["listeners"]:
        for chain in listener["filter_chains"]:
            for network_filter in chain["filters"]:
                config = network_filter["typed_config"]
                for host in config["route_config"]["virtual_hosts"]:
                    routes.extend(host["routes"])
    return routes


def test_envoy_routes_to_the_compose_service(
    envoy: dict[str, Any], compose_raw: dict[str, Any], dockerfile: Dockerfile
) -> None:
    clusters = _clusters(envoy)
    routes = _routes(envoy)
    assert routes and all(r["route"]["cluster"] in clusters for r in routes)
    (cluster,) = {r["route"]["cluster"] for r in routes}
    upstream = clusters[cluster]
    assert upstream["type"] == "STRICT_DNS"  # one host per replica, re-resolved
    assert upstream.get("lb_policy", "ROUND_ROBIN") in ("ROUND_ROBIN", "LEAST_REQUEST")
    addresses = [
        endpoint["endpoint"]["address"]["socket_address"]
        for group in upstream["load_assignment"]["endpoints"]
        for endpoint in group["lb_endpoints"]
    ]
    port = int(_runtime_env(dockerfile)["NEWSFUSE_PORT"])
    assert {"address": SERVICE, "port_value": port} in addresses
    for address in addresses:
        assert address["address"] in compose_raw["services"]
        assert address["port_value"] == port


def test_envoy_speaks_http2_upstream_and_checks_grpc_health(envoy: dict[str, Any]) -> None:
    for cluster in _clusters(envoy).values():
        options = cluster.get("typed_extension_protocol_options", {}).get(
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions", {}
        )
        http2 = "http2_protocol_options" in cluster or "http2_protocol_options" in options.get(
            "explicit_http_config", {}
        )
        assert http2, f"cluster {cluster['name']} would talk HTTP/1.1 to a gRPC server"
        checks = cluster.get("health_checks", [])
        assert any("grpc_health_check" in check for check in checks)


def test_envoy_keeps_the_clients_deadline(envoy: dict[str, Any]) -> None:
    for route in _routes(envoy):
        # Envoy's default 15 s route timeout would cut long summaries short
        assert _seconds(route["route"].get("timeout", "15s")) == 0
        assert "grpc_timeout_header_max" in route["route"].get("max_stream_duration", {})


def test_envoy_config_matches_envoys_api(envoy: dict[str, Any]) -> None:
    """Parsed into Envoy's own v3 Bootstrap message: field names, enums, durations, typed
    configs. (Envoy's extra validation rules are not covered.)"""
    bootstrap_pb2 = pytest.importorskip(
        "envoy.config.bootstrap.v3.bootstrap_pb2",
        reason="Envoy's API protos (PyPI xds-protos) are not installed",
    )
    from google.protobuf import json_format

    import_envoy_types(envoy)
    bootstrap = json_format.ParseDict(envoy, bootstrap_pb2.Bootstrap())
    assert bootstrap.static_resources.clusters[0].health_checks[0].HasField("grpc_health_check")


# --- Prometheus ---------------------------------------------------------------------------


def test_prometheus_scrapes_every_replica(
    prometheus: dict[str, Any], compose_raw: dict[str, Any]
) -> None:
    jobs = {job["job_name"]: job for job in prometheus["scrape_configs"]}
    job = jobs[SERVICE]
    assert job.get("metrics_path", "/metrics") == "/metrics"
    (discovery,) = job["dns_sd_configs"]  # one target per A record: per replica
    assert SERVICE in discovery["names"]
    assert set(discovery["names"]) <= compose_raw["services"].keys()
    assert discovery.get("type", "SRV") == "A" and discovery["port"] == DEFAULTS.metrics_port


def test_prometheus_scrapes_envoy_admin(prometheus: dict[str, Any], envoy: dict[str, Any]) -> None:
    jobs = {job["job_name"]: job for job in prometheus["scrape_configs"]}
    admin = envoy["admin"]["address"]["socket_address"]["port_value"]
    assert jobs["envoy"]["static_configs"][0]["targets"] == [f"envoy:{admin}"]
    assert jobs["envoy"]["metrics_path"] == "/stats/prometheus"


def test_prometheus_config_passes_promtool() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian package prometheus)")
    result = subprocess.run(
        [promtool, "check", "config", str(PROMETHEUS_FILE)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
