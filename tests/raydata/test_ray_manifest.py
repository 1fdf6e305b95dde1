"""``deploy/ray/rayjob.yaml`` (KubeRay ``RayJob``) checked without a cluster.

A custom resource has no Kubernetes schema: its own fields are checked against the fields of
KubeRay's ``ray.io/v1`` types (a closed list: a misspelt field fails), and each pod template
in it is validated strictly as a Kubernetes ``PodTemplate``. Then against newsfuse: the
entrypoint parses with the real command line, the actors fit the worker pods, the image is
the package version's Ray image and the Ray version is the one pinned in ``pyproject.toml``.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from newsfuse import __version__, cli

kubernetes_validate = pytest.importorskip(
    "kubernetes_validate",
    reason="kubernetes-validate is not installed: pip install -e '.[test]'",
)
from kubernetes_validate import utils as kv_utils  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / "deploy" / "ray" / "rayjob.yaml"
KUBERNETES_VERSION = "1.37.0"

# Fields of KubeRay's ray.io/v1 types (ray-operator/apis/ray/v1: RayJobSpec, RayClusterSpec,
# HeadGroupSpec, WorkerGroupSpec), as their JSON names.
RAYJOB_SPEC = {
    "activeDeadlineSeconds", "backoffLimit", "rayClusterSpec", "submitterPodTemplate",
    "metadata", "clusterSelector", "submitterConfig", "managedBy", "deletionStrategy",
    "entrypoint", "runtimeEnvYAML", "jobId", "submissionMode", "entrypointResources",
    "entrypointNumCpus", "entrypointNumGpus", "ttlSecondsAfterFinished",
    "shutdownAfterJobFinishes", "suspend", "schedule",
}  # fmt: skip
CLUSTER_SPEC = {
    "headGroupSpec", "workerGroupSpecs", "rayVersion", "enableInTreeAutoscaling",
    "autoscalerOptions", "headServiceAnnotations", "suspend",
}  # fmt: skip
HEAD_GROUP = {"serviceType", "headService", "enableIngress", "rayStartParams", "template"}
WORKER_GROUP = {
    "groupName", "replicas", "minReplicas", "maxReplicas", "numOfHosts", "rayStartParams",
    "template", "scaleStrategy",
}  # fmt: skip


def closed(obj: dict[str, Any], known: set[str], where: str) -> None:
    unknown = set(obj) - known
    assert not unknown, f"{where}: unknown fields {sorted(unknown)}"


@pytest.fixture(scope="module")
def rayjob() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def groups(rayjob: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    cluster = rayjob["spec"]["rayClusterSpec"]
    return [("head", cluster["headGroupSpec"])] + [
        (group["groupName"], group) for group in cluster["workerGroupSpecs"]
    ]


def test_the_rayjob_has_kuberays_shape(rayjob) -> None:
    assert (rayjob["apiVersion"], rayjob["kind"]) == ("ray.io/v1", "RayJob")
    closed(rayjob, {"apiVersion", "kind", "metadata", "spec"}, "RayJob")
    spec = rayjob["spec"]
    closed(spec, RAYJOB_SPEC, "spec")
    closed(spec["rayClusterSpec"], CLUSTER_SPEC, "spec.rayClusterSpec")
    closed(spec["rayClusterSpec"]["headGroupSpec"], HEAD_GROUP, "headGroupSpec")
    for name, group in groups(rayjob)[1:]:
        closed(group, WORKER_GROUP, f"workerGroupSpecs {name}")
        assert {"groupName", "minReplicas", "maxReplicas", "rayStartParams", "template"} <= set(
            group
        )
        assert group["minReplicas"] <= group["replicas"] <= group["maxReplicas"]
    for name, group in groups(rayjob):
        # KubeRay passes them to `ray start` as strings.
        assert all(isinstance(v, str) for v in group["rayStartParams"].values()), name
    assert spec["shutdownAfterJobFinishes"] is True  # the cluster goes when the job is done
    assert rayjob["metadata"]["namespace"] == "newsfuse"


def test_a_misspelt_field_fails_the_closed_check(rayjob) -> None:
    spec = dict(rayjob["spec"], shutdownAfterJobFinish=True)
    with pytest.raises(AssertionError, match="shutdownAfterJobFinish"):
        closed(spec, RAYJOB_SPEC, "spec")


def test_every_pod_template_validates_in_strict_mode(rayjob) -> None:
    for name, group in groups(rayjob):
        template = {
            "apiVersion": "v1",
            "kind": "PodTemplate",
            "metadata": {"name": f"newsfuse-batch-{name}", "namespace": "newsfuse"},
            "template": group["template"],
        }
        kv_utils.validate(template, KUBERNETES_VERSION, strict=True)
    broken = yaml.safe_load(yaml.safe_dump(groups(rayjob)[1][1]["template"]))
    broken["spec"]["containers"][0]["resource"] = {}
    with pytest.raises(kubernetes_validate.ValidationError, match="resource"):
        kv_utils.validate(
            {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "x"},
             "template": broken},
            KUBERNETES_VERSION,
            strict=True,
        )  # fmt: skip


def test_the_entrypoint_is_a_valid_ray_batch_command(rayjob) -> None:
    words = shlex.split(rayjob["spec"]["entrypoint"])
    assert words[:2] == ["newsfuse", "batch"]
    args = cli.build_parser().parse_args(words[1:])
    assert args.engine == "ray"
    assert args.ray_address == "auto"  # join the job's cluster, never start one
    assert not args.resume  # object storage cannot be appended to (the command refuses)
    assert args.input.startswith("s3://") and args.output.startswith("s3://")
    assert args.ray_actors[1] == groups(rayjob)[1][1]["maxReplicas"]  # one actor per pod
    env = yaml.safe_load(rayjob["spec"]["runtimeEnvYAML"])
    assert env["env_vars"]["HF_HUB_OFFLINE"] == "1"  # weights never fetched at run time


def _cpus(quantity: str) -> float:
    return float(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def test_actors_fit_the_worker_pods_and_the_head_runs_none(rayjob) -> None:
    args = cli.build_parser().parse_args(shlex.split(rayjob["spec"]["entrypoint"])[1:])
    head = groups(rayjob)[0][1]
    assert head["rayStartParams"]["num-cpus"] == "0"
    for name, group in groups(rayjob)[1:]:
        (container,) = group["template"]["spec"]["containers"]
        limits = container["resources"]["limits"]
        assert _cpus(str(limits["cpu"])) >= args.ray_cpus_per_actor, name
        assert float(limits.get("nvidia.com/gpu", 0)) >= args.ray_gpus_per_actor, name


def test_images_are_the_ray_image_of_this_version_with_the_pinned_ray(rayjob) -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    (pin,) = pyproject["project"]["optional-dependencies"]["ray"]
    pinned = re.fullmatch(r"ray\[[a-z,]+\]==([\d.]+)", pin)
    assert pinned, pin
    assert rayjob["spec"]["rayClusterSpec"]["rayVersion"] == pinned.group(1)
    import ray

    assert ray.__version__ == pinned.group(1)  # what the tests ran is what the image runs
    for name, group in groups(rayjob):
        pod = group["template"]["spec"]
        for container in pod["containers"]:
            assert container["image"] == f"newsfuse:{__version__}-ray", name
            resources = container["resources"]
            assert resources["requests"] == resources["limits"], name
            # KubeRay's default probes run wget, which the image has not: our own, over HTTP.
            for probe in ("readinessProbe", "livenessProbe"):
                assert "httpGet" in container[probe], (name, probe)
        assert pod["securityContext"]["runAsUser"] == 10001  # the image's user


def test_the_dockerfile_builds_a_ray_image_with_the_ray_extra() -> None:
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^ARG EXTRAS=fetch,http$", text, re.MULTILINE)
    assert 'RUN pip install ".[${EXTRAS}]"' in text
    assert "--build-arg EXTRAS=fetch,ray" in (REPO / "docs" / "deploy.md").read_text()
