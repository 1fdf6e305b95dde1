"""The Kubernetes manifests (deploy/k8s): rendered, validated strictly, checked against the server.

Every overlay is rendered by a real ``kubectl kustomize``; every built-in object is validated
against the Kubernetes API schemas in strict mode (PyPI ``kubernetes-validate``: an unknown
field or API version fails), the custom resources for shape. Then the objects are checked
against what the server really does: its ports, command line, ``Settings``, health service
names, drain time and metric names.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import newsfuse
import pytest
import yaml
from deploy_support import COMPOSE_FILE, ENVOY_FILE, Dockerfile, import_envoy_types
from k8s_support import (
    K8S_DIR,
    OVERLAYS,
    REPO,
    container,
    container_env,
    find,
    find_kubectl,
    kustomize,
)
from newsfuse.cli import build_parser
from newsfuse.server import app
from newsfuse.server.app import LIVENESS_SERVICE_NAME, READINESS_SERVICE_NAMES
from newsfuse.server.metrics import Metrics
from newsfuse.server.servicer import SERVICE_NAME
from newsfuse.settings import Settings
from packaging.version import Version
from prometheus_client.parser import text_string_to_metric_families

kubernetes_validate = pytest.importorskip(
    "kubernetes_validate",
    reason="kubernetes-validate is not installed: pip install -e '.[test]'",
)
from kubernetes_validate import utils as kv_utils  # noqa: E402

KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")
"""Oldest release the manifests support (gRPC probes are GA from 1.27) and the current one."""
CUSTOM_KINDS = {("monitoring.coreos.com/v1", "PodMonitor")}
SERVER = "newsfuse"
ENVOY = "newsfuse-envoy"
HEADLESS = "newsfuse-replicas"
SECRETS = {"newsfuse-auth": {"token": "s3cret"}}
DRAIN_MARGIN_SECONDS = 5
ADAPTER_VALUES = K8S_DIR / "prometheus-adapter" / "values.yaml"
LOADER_POD = K8S_DIR / "components" / "model-volume" / "loader-pod.yaml"
MODEL_VOLUME_EXAMPLE = K8S_DIR / "examples" / "cpu-model-volume"
POD_LABELS = {"app.kubernetes.io/name": "newsfuse", "app.kubernetes.io/component": "server"}


@pytest.fixture(scope="session")
def kubectl() -> str:
    path, reason = find_kubectl()
    if path is None:
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def rendered(kubectl: str) -> dict[str, list[dict[str, Any]]]:
    return {name: kustomize(kubectl, K8S_DIR / "overlays" / name) for name in OVERLAYS}


@pytest.fixture(scope="session", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest, rendered: dict[str, list[dict[str, Any]]]) -> Any:
    return request.param, rendered[request.param]


@pytest.fixture(scope="session")
def with_model_volume(kubectl: str) -> list[dict[str, Any]]:
    """The example overlay of one's own: the cpu overlay + the model volume + a model."""
    return kustomize(kubectl, MODEL_VOLUME_EXAMPLE)


def _server_env(objects: list[dict[str, Any]]) -> dict[str, str]:
    return container_env(objects, container(find(objects, "Deployment", SERVER), SERVER), SECRETS)


def _settings(objects: list[dict[str, Any]]) -> Settings:
    return Settings.from_env(_server_env(objects))


# --- rendering and validation -------------------------------------------------------------


def test_every_overlay_renders_the_whole_stack(overlay: Any) -> None:
    name, objects = overlay
    kinds = sorted(
        (o["kind"], re.sub(r"-[a-z0-9]{10}$", "", o["metadata"]["name"])) for o in objects
    )
    assert kinds == sorted(
        [
            ("Namespace", "newsfuse"),
            ("ConfigMap", "newsfuse-settings"),
            ("ConfigMap", "newsfuse-envoy"),
            ("Deployment", SERVER),
            ("Deployment", ENVOY),
            ("Service", HEADLESS),
            ("Service", "newsfuse"),
            ("HorizontalPodAutoscaler", SERVER),
            ("PodDisruptionBudget", SERVER),
            ("PodDisruptionBudget", ENVOY),
            ("PodMonitor", SERVER),
            ("PodMonitor", ENVOY),
        ]
    ), name
    for o in objects:
        if o["kind"] != "Namespace":
            assert o["metadata"]["namespace"] == "newsfuse", o["metadata"]["name"]


def _validate(obj: dict[str, Any], version: str) -> None:
    kv_utils.validate(obj, version, strict=True)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_object_validates_in_strict_mode(overlay: Any, version: str) -> None:
    _, objects = overlay
    checked = 0
    for obj in objects:
        if (obj["apiVersion"], obj["kind"]) in CUSTOM_KINDS:
            continue  # no Kubernetes schema: test_podmonitor_has_the_operators_shape
        _validate(obj, version)
        checked += 1
    assert checked == len(objects) - 2


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_the_model_volume_and_its_loader_validate(with_model_volume: list, version: str) -> None:
    for obj in with_model_volume:
        if (obj["apiVersion"], obj["kind"]) not in CUSTOM_KINDS:
            _validate(obj, version)
    _validate(yaml.safe_load(LOADER_POD.read_text(encoding="utf-8")), version)


def test_the_validator_is_strict(rendered: dict[str, list[dict[str, Any]]]) -> None:
    """An unknown field, a misspelt one and an API version Kubernetes no longer serves all fail."""
    objects = rendered["cpu"]
    version = KUBERNETES_VERSIONS[-1]

    deployment = yaml.safe_load(yaml.safe_dump(find(objects, "Deployment", SERVER)))
    container(deployment, SERVER)["readinessProbe"]["grpc"]["serivce"] = SERVICE_NAME
    with pytest.raises(kubernetes_validate.ValidationError, match="serivce"):
        _validate(deployment, version)

    deployment = yaml.safe_load(yaml.safe_dump(find(objects, "Deployment", SERVER)))
    deployment["spec"]["template"]["spec"]["terminationGracePeriod"] = 30
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(deployment, version)

    hpa = dict(find(objects, "HorizontalPodAutoscaler", SERVER), apiVersion="autoscaling/v2beta2")
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        _validate(hpa, version)  # removed in Kubernetes 1.26

    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        _validate(dict(find(objects, "Deployment", SERVER), apiVersion="apps/v2"), version)


def test_the_validator_knows_the_current_release() -> None:
    assert Version(kv_utils.latest_version()) >= Version(KUBERNETES_VERSIONS[-1])


# --- the server's image, command line and settings -----------------------------------------


def test_image_is_tagged_with_the_package_version(overlay: Any) -> None:
    name, objects = overlay
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    version = pyproject["project"]["version"]
    assert version == newsfuse.__version__
    image = container(find(objects, "Deployment", SERVER), SERVER)["image"]
    repository, _, tag = image.rpartition(":")
    assert repository == "newsfuse"
    assert tag == (f"{version}-gpu" if name == "gpu" else version)
    loader = yaml.safe_load(LOADER_POD.read_text(encoding="utf-8"))
    assert loader["spec"]["containers"][0]["image"] == f"newsfuse:{version}"
    for obj in objects:
        if obj["kind"] == "Deployment":
            for c in obj["spec"]["template"]["spec"]["containers"]:
                assert ":" in c["image"] and not c["image"].endswith(":latest"), c["image"]


def test_command_line_is_newsfuse_serve(overlay: Any, dockerfile: Dockerfile) -> None:
    _, objects = overlay
    spec = container(find(objects, "Deployment", SERVER), SERVER)
    assert "command" not in spec  # the image's ENTRYPOINT
    (entrypoint,) = dockerfile.final.all("ENTRYPOINT")
    argv = (entrypoint.exec_form() or []) + spec["args"]
    assert argv[0] == "newsfuse"
    args = build_parser().parse_args(argv[1:])  # the real parser: unknown flags fail
    assert args.command == "serve"


def test_environment_names_settings_and_the_values_parse(overlay: Any) -> None:
    name, objects = overlay
    env = _server_env(objects)
    fields = {f"NEWSFUSE_{field.upper()}" for field in Settings.__dataclass_fields__}
    unknown = {k for k in env if k.startswith("NEWSFUSE_")} - fields
    assert not unknown, f"variables no setting reads: {unknown}"
    settings = Settings.from_env(env)  # every value parses and validates
    assert settings.device == ("cuda" if name == "gpu" else "cpu")
    assert settings.auth_token == SECRETS["newsfuse-auth"]["token"]
    assert settings.host == "0.0.0.0"
    # the root filesystem is read-only: caches and temporary files on the /tmp volume
    for variable in ("TMPDIR", "HOME", "XDG_CACHE_HOME", "HF_HOME"):
        assert env[variable].startswith("/tmp"), variable
    assert env["HF_HUB_OFFLINE"] == "1"


def test_threads_come_from_the_cpu_limit(overlay: Any) -> None:
    _, objects = overlay
    spec = container(find(objects, "Deployment", SERVER), SERVER)
    (threads,) = [e for e in spec["env"] if e["name"] == "NEWSFUSE_THREADS"]
    assert threads["valueFrom"]["resourceFieldRef"]["resource"] == "limits.cpu"
    limit = float(spec["resources"]["limits"]["cpu"])
    assert _settings(objects).threads == math.ceil(limit) >= 1


def test_requests_equal_limits(overlay: Any) -> None:
    name, objects = overlay
    for deployment in (find(objects, "Deployment", SERVER), find(objects, "Deployment", ENVOY)):
        for spec in deployment["spec"]["template"]["spec"]["containers"]:
            resources = spec["resources"]
            assert resources["requests"] == resources["limits"], spec["name"]
            assert {"cpu", "memory"} <= resources["limits"].keys()
    limits = container(find(objects, "Deployment", SERVER), SERVER)["resources"]["limits"]
    assert ("nvidia.com/gpu" in limits) == (name == "gpu")


def test_ports_match_the_server(overlay: Any, dockerfile: Dockerfile) -> None:
    _, objects = overlay
    settings = _settings(objects)
    deployment = find(objects, "Deployment", SERVER)
    spec = container(deployment, SERVER)
    ports = {p["name"]: p["containerPort"] for p in spec["ports"]}
    assert ports == {"grpc": settings.port, "metrics": settings.metrics_port}
    exposed = {int(p) for i in dockerfile.final.all("EXPOSE") for p in i.args.split()}
    assert set(ports.values()) == exposed
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(settings.metrics_port)
    assert annotations["prometheus.io/path"] == "/metrics"

    headless = find(objects, "Service", HEADLESS)
    assert headless["spec"]["clusterIP"] == "None"
    assert headless["spec"]["selector"] == POD_LABELS
    assert {p["targetPort"] for p in headless["spec"]["ports"]} == set(ports)
    assert {p["port"] for p in headless["spec"]["ports"]} == set(ports.values())


def test_pods_run_as_the_images_user_on_a_read_only_root(
    overlay: Any, dockerfile: Dockerfile
) -> None:
    _, objects = overlay
    pod = find(objects, "Deployment", SERVER)["spec"]["template"]["spec"]
    user = int(dockerfile.final.all("USER")[-1].args.split(":")[0])
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == user
    for deployment in (SERVER, ENVOY):
        pod = find(objects, "Deployment", deployment)["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        for spec in pod["containers"]:
            context = spec["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            (tmp,) = [m for m in spec["volumeMounts"] if m["mountPath"] == "/tmp"]
            assert "emptyDir" in volumes[tmp["name"]]


# --- probes and the drain ------------------------------------------------------------------


def test_probes_ask_the_servers_readiness_and_liveness_names(overlay: Any) -> None:
    _, objects = overlay
    spec = container(find(objects, "Deployment", SERVER), SERVER)
    port = _settings(objects).port
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert spec[probe]["grpc"]["port"] == port, probe  # native gRPC probes
    assert spec["readinessProbe"]["grpc"]["service"] == SERVICE_NAME
    assert spec["readinessProbe"]["grpc"]["service"] in READINESS_SERVICE_NAMES
    # a model that never finishes loading is restarted by the startup probe, not liveness
    assert spec["startupProbe"]["grpc"]["service"] == SERVICE_NAME
    assert spec["livenessProbe"]["grpc"]["service"] == LIVENESS_SERVICE_NAME
    assert LIVENESS_SERVICE_NAME not in READINESS_SERVICE_NAMES
    startup = spec["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 300  # model loading


def _prestop_seconds(spec: dict[str, Any]) -> float:
    command = spec["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "sleep" and len(command) == 2, command
    return float(command[1])


def test_grace_period_covers_the_pause_and_the_drain(overlay: Any) -> None:
    _, objects = overlay
    deployment = find(objects, "Deployment", SERVER)
    spec = container(deployment, SERVER)
    pause = _prestop_seconds(spec)
    settings = _settings(objects)
    needed = pause + settings.grace_seconds + app.DRAIN_OVERRUN_SECONDS + DRAIN_MARGIN_SECONDS
    assert pause >= 5  # endpoints and Envoy's DNS view (re-resolved every 5 s) catch up
    assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= needed
    assert "replicas" not in deployment["spec"]  # the autoscaler owns the count


# --- Envoy ---------------------------------------------------------------------------------


def _envoy_config(objects: list[dict[str, Any]]) -> dict[str, Any]:
    deployment = find(objects, "Deployment", ENVOY)
    spec = container(deployment, "envoy")
    args = spec["args"]
    config_path = Path(args[args.index("-c") + 1])
    (mount,) = [m for m in spec["volumeMounts"] if m["mountPath"] == str(config_path.parent)]
    (volume,) = [
        v for v in deployment["spec"]["template"]["spec"]["volumes"] if v["name"] == mount["name"]
    ]
    config_map = find(objects, "ConfigMap", "newsfuse-envoy")
    assert volume["configMap"]["name"] == config_map["metadata"]["name"]
    return yaml.safe_load(config_map["data"][config_path.name])


def test_envoy_balances_calls_over_the_headless_service(overlay: Any) -> None:
    _, objects = overlay
    envoy = _envoy_config(objects)
    clusters = {c["name"]: c for c in envoy["static_resources"]["clusters"]}
    upstream = clusters["newsfuse"]
    assert upstream["type"] == "STRICT_DNS" and upstream["lb_policy"] == "LEAST_REQUEST"
    (group,) = upstream["load_assignment"]["endpoints"]
    (endpoint,) = group["lb_endpoints"]
    address = endpoint["endpoint"]["address"]["socket_address"]
    assert address == {"address": HEADLESS, "port_value": _settings(objects).port}
    (check,) = upstream["health_checks"]
    assert check["grpc_health_check"]["service_name"] in READINESS_SERVICE_NAMES
    assert upstream["ignore_health_on_host_removal"] is True

    listeners = {item["name"]: item for item in envoy["static_resources"]["listeners"]}
    grpc_port = listeners["grpc"]["address"]["socket_address"]["port_value"]
    stats_port = listeners["stats"]["address"]["socket_address"]["port_value"]
    assert envoy["admin"]["address"]["socket_address"]["address"] == "127.0.0.1"
    spec = container(find(objects, "Deployment", ENVOY), "envoy")
    ports = {p["name"]: p["containerPort"] for p in spec["ports"]}
    assert ports == {"grpc": grpc_port, "stats": stats_port}
    assert spec["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "stats"}
    service = find(objects, "Service", "newsfuse")
    assert (
        service["spec"]["selector"]
        == find(objects, "Deployment", ENVOY)["spec"]["selector"]["matchLabels"]
    )
    assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(grpc_port, "grpc")]


def test_envoy_routes_calls_as_compose_does(rendered: dict[str, list[dict[str, Any]]]) -> None:
    """Same listener, retries, balancing and limits as deploy/envoy.yaml; only the upstream
    addresses, the health-check name and the handling of hosts leaving DNS differ."""
    compose_envoy = yaml.safe_load(ENVOY_FILE.read_text(encoding="utf-8"))
    k8s_envoy = _envoy_config(rendered["cpu"])

    def listener(config: dict[str, Any], name: str) -> dict[str, Any]:
        (found,) = [x for x in config["static_resources"]["listeners"] if x["name"] == name]
        return found

    def cluster(config: dict[str, Any]) -> dict[str, Any]:
        (found,) = [c for c in config["static_resources"]["clusters"] if c["name"] == "newsfuse"]
        found = dict(found)
        for differs in ("load_assignment", "health_checks", "ignore_health_on_host_removal"):
            found.pop(differs, None)
        return found

    assert listener(k8s_envoy, "grpc") == listener(compose_envoy, "grpc")
    assert cluster(k8s_envoy) == cluster(compose_envoy)
    compose = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    for objects in rendered.values():
        image = container(find(objects, "Deployment", ENVOY), "envoy")["image"]
        assert image == compose["services"]["envoy"]["image"]


def test_envoy_config_matches_envoys_api(rendered: dict[str, list[dict[str, Any]]]) -> None:
    bootstrap_pb2 = pytest.importorskip(
        "envoy.config.bootstrap.v3.bootstrap_pb2",
        reason="Envoy's API protos (PyPI xds-protos) are not installed",
    )
    from google.protobuf import json_format

    config = _envoy_config(rendered["cpu"])
    import_envoy_types(config)
    bootstrap = json_format.ParseDict(config, bootstrap_pb2.Bootstrap())
    (upstream,) = [c for c in bootstrap.static_resources.clusters if c.name == "newsfuse"]
    assert upstream.health_checks[0].grpc_health_check.service_name == SERVICE_NAME


# --- autoscaling, disruption budget, monitoring ----------------------------------------------


def _adapter_rule(metric: str) -> dict[str, Any]:
    values = yaml.safe_load(ADAPTER_VALUES.read_text(encoding="utf-8"))
    assert values["prometheus"]["url"].startswith("http")
    rules = [r for r in values["rules"]["custom"] if r["name"]["as"] == metric]
    assert len(rules) == 1, f"prometheus-adapter serves no metric {metric!r}"
    return rules[0]


def test_autoscaler_scales_the_server_on_a_metric_the_adapter_serves(overlay: Any) -> None:
    _, objects = overlay
    hpa = find(objects, "HorizontalPodAutoscaler", SERVER)
    deployment = find(objects, "Deployment", SERVER)
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"], target["name"]) == (
        deployment["apiVersion"],
        "Deployment",
        deployment["metadata"]["name"],
    )
    assert 1 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    (metric,) = hpa["spec"]["metrics"]
    assert metric["type"] == "Pods"
    assert metric["pods"]["target"]["type"] == "AverageValue"
    assert float(metric["pods"]["target"]["averageValue"]) > 0
    rule = _adapter_rule(metric["pods"]["metric"]["name"])
    assert rule["resources"]["overrides"] == {
        "namespace": {"resource": "namespace"},
        "pod": {"resource": "pod"},
    }
    # slow scale-down: a replica costs a model load to bring back
    assert hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] >= 300


def test_adapter_rule_reads_a_gauge_the_server_exports(tmp_path: Path) -> None:
    rule = _adapter_rule("newsfuse_inflight_requests")
    series = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{", rule["seriesQuery"])
    assert series is not None
    assert re.fullmatch(rule["name"]["matches"], series.group(1))
    exported = Metrics().registry
    families = {family.name: family for family in exported.collect()}
    assert families[series.group(1)].type == "gauge"  # a level, averaged over pods by the HPA
    for template in ("<<.Series>>", "<<.LabelMatchers>>", "<<.GroupBy>>"):
        assert template in rule["metricsQuery"]
    # the query with the templates filled in, as the adapter fills them, is valid PromQL
    query = (
        rule["metricsQuery"]
        .replace("<<.Series>>", series.group(1))
        .replace("<<.LabelMatchers>>", 'namespace="newsfuse",pod=~"newsfuse-.*"')
        .replace("<<.GroupBy>>", "pod")
    )
    assert "<<" not in query
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian package prometheus): PromQL not parsed")
    rules = tmp_path / "rules.yml"
    rules.write_text(
        yaml.safe_dump({"groups": [{"name": "adapter", "rules": [{"record": "q", "expr": query}]}]})
    )
    result = subprocess.run(
        [promtool, "check", "rules", str(rules)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_metrics_endpoint_serves_the_autoscaling_series() -> None:
    """The scraped text (what Prometheus stores) has the series the adapter's rule asks for."""
    from prometheus_client import generate_latest

    text = generate_latest(Metrics().registry).decode()
    names = {s.name for family in text_string_to_metric_families(text) for s in family.samples}
    assert "newsfuse_inflight_requests" in names


_POD_MONITOR_SCHEMA = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "PodMonitor"},
        "metadata": {
            "type": "object",
            "required": ["name", "namespace"],
            "properties": {"name": {"type": "string"}, "namespace": {"type": "string"}},
        },
        "spec": {
            "type": "object",
            "required": ["selector", "podMetricsEndpoints"],
            "additionalProperties": False,
            "properties": {
                "selector": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "matchLabels": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                        }
                    },
                },
                "podMetricsEndpoints": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["port"],
                        "additionalProperties": False,
                        "properties": {
                            "port": {"type": "string"},
                            "path": {"type": "string", "pattern": "^/"},
                            "interval": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"},
                        },
                    },
                },
            },
        },
    },
}
"""The part of the Prometheus Operator's PodMonitor schema these manifests use, closed:
a misspelt or misplaced field fails (the operator's CRD would prune it silently)."""


def test_podmonitor_has_the_operators_shape(overlay: Any) -> None:
    _, objects = overlay
    for name, deployment_name in ((SERVER, SERVER), (ENVOY, ENVOY)):
        monitor = find(objects, "PodMonitor", name)
        jsonschema.validate(monitor, _POD_MONITOR_SCHEMA)
        deployment = find(objects, "Deployment", deployment_name)
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        selector = monitor["spec"]["selector"]["matchLabels"]
        assert selector.items() <= labels.items()
        ports = {
            p["name"]
            for c in deployment["spec"]["template"]["spec"]["containers"]
            for p in c["ports"]
        }
        for endpoint in monitor["spec"]["podMetricsEndpoints"]:
            assert endpoint["port"] in ports
    (server_endpoint,) = find(objects, "PodMonitor", SERVER)["spec"]["podMetricsEndpoints"]
    assert (server_endpoint["port"], server_endpoint["path"]) == ("metrics", "/metrics")

    broken = yaml.safe_load(yaml.safe_dump(find(objects, "PodMonitor", SERVER)))
    broken["spec"]["podMetricEndpoints"] = broken["spec"].pop("podMetricsEndpoints")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, _POD_MONITOR_SCHEMA)


def test_disruption_budgets_and_services_select_their_pods(overlay: Any) -> None:
    _, objects = overlay
    for name in (SERVER, ENVOY):
        deployment = find(objects, "Deployment", name)
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
        budget = find(objects, "PodDisruptionBudget", name)
        assert (
            budget["spec"]["selector"]["matchLabels"]
            == deployment["spec"]["selector"]["matchLabels"]
        )
        assert budget["spec"]["maxUnavailable"] == 1
    hpa = find(objects, "HorizontalPodAutoscaler", SERVER)
    assert (
        hpa["spec"]["minReplicas"]
        > find(objects, "PodDisruptionBudget", SERVER)["spec"]["maxUnavailable"]
    )


# --- GPU overlay and the model volume ---------------------------------------------------------


def test_gpu_overlay_asks_for_a_gpu_node_and_the_cuda_image(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    pod = find(rendered["gpu"], "Deployment", SERVER)["spec"]["template"]["spec"]
    spec = container(find(rendered["gpu"], "Deployment", SERVER), SERVER)
    assert spec["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert pod["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod[
        "tolerations"
    ]
    env = _server_env(rendered["gpu"])
    assert env["CUDA_CACHE_PATH"].startswith("/tmp/") and env["TRITON_CACHE_DIR"].startswith(
        "/tmp/"
    )
    cpu_pod = find(rendered["cpu"], "Deployment", SERVER)["spec"]["template"]["spec"]
    assert "nodeSelector" not in cpu_pod and "tolerations" not in cpu_pod
    # the CUDA base image the gpu tag is built from is compose's (docs/deploy.md says how)
    compose = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    base = compose["services"]["newsfuse-gpu"]["build"]["args"]["BASE_IMAGE"]
    cuda_image = re.search(r":-([^}]+)\}", base).group(1)
    overlay_text = (K8S_DIR / "overlays" / "gpu" / "kustomization.yaml").read_text()
    assert f"BASE_IMAGE={cuda_image}" in overlay_text


def test_model_volume_is_mounted_read_only_and_selected(with_model_volume: list) -> None:
    deployment = find(with_model_volume, "Deployment", SERVER)
    pod = deployment["spec"]["template"]["spec"]
    spec = container(deployment, SERVER)
    (mount,) = [m for m in spec["volumeMounts"] if m["mountPath"] == "/models"]
    assert mount["readOnly"] is True
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    claim = find(with_model_volume, "PersistentVolumeClaim", "newsfuse-models")
    assert volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    # the overlay's choice of model reaches the replicas (a component's own settings would
    # override it: kustomize applies components after the overlay's generators)
    example = yaml.safe_load((MODEL_VOLUME_EXAMPLE / "kustomization.yaml").read_text())
    (literal,) = example["configMapGenerator"][0]["literals"]
    settings = _settings(with_model_volume)
    assert f"NEWSFUSE_MODEL={settings.model}" == literal
    assert settings.model.startswith(mount["mountPath"] + "/")
    manifest = json.loads((REPO / "models" / "manifest.json").read_text(encoding="utf-8"))
    assert Path(settings.model).name in {entry["name"] for entry in manifest["models"]}
    # the rest of the stack is untouched: the same probes, the same /tmp volume
    assert spec["livenessProbe"]["grpc"]["service"] == LIVENESS_SERVICE_NAME
    assert any(m["mountPath"] == "/tmp" for m in spec["volumeMounts"])
    loader = yaml.safe_load(LOADER_POD.read_text(encoding="utf-8"))
    (loader_volume,) = loader["spec"]["volumes"]
    assert loader_volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert loader["metadata"]["namespace"] == claim["metadata"]["namespace"]


# --- the documentation's commands -------------------------------------------------------------


def test_docs_kustomize_commands_render(kubectl: str) -> None:
    """Every ``kubectl kustomize`` / ``kubectl apply -k`` directory docs/deploy.md names exists
    and renders."""
    docs = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
    command = r"kubectl (?:-n \S+ )?(?:kustomize|apply -k|diff -k|delete -k) (deploy/k8s/[\w/-]+)"
    directories = set(re.findall(command, docs))
    assert {f"deploy/k8s/overlays/{name}" for name in OVERLAYS} <= directories
    for directory in sorted(directories):
        assert kustomize(kubectl, REPO / directory)


def test_every_overlay_and_example_is_rendered_here() -> None:
    overlays = {p.parent.name for p in (K8S_DIR / "overlays").glob("*/kustomization.yaml")}
    examples = {p.parent for p in (K8S_DIR / "examples").glob("*/kustomization.yaml")}
    assert overlays == set(OVERLAYS)
    assert examples == {MODEL_VOLUME_EXAMPLE}
