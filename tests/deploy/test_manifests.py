"""deploy/ as kustomize renders it: what a pod of the bot needs, and what the real apiserver
accepts (`kubectl apply --dry-run=server` validates every object as a real apply would)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from bot.config.loading import load_config
from tests.conftest import KUBECTL
from tests.realcluster import ControlPlane

ROOT = Path(__file__).resolve().parents[2]


def render() -> list[dict[str, Any]]:
    if not KUBECTL.exists():
        pytest.skip(f"kubectl is not installed at {KUBECTL}; run `uv sync` to get it")
    out = subprocess.run(
        [str(KUBECTL), "kustomize", str(ROOT / "deploy")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def one(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (doc,) = [d for d in docs if d["kind"] == kind]
    return doc


def test_the_bot_runs_non_root_on_a_read_only_root_with_probes_and_resources() -> None:
    deployment = one(render(), "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["serviceAccountName"] == "releasebot"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["resources"]["requests"] and container["resources"]["limits"]
    assert container["args"][0] == "serve"
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert container["workingDir"] in mounts, "the SQLite file needs a writable directory"


def test_secrets_are_references_and_the_database_url_is_optional() -> None:
    docs = render()
    assert not [d for d in docs if d["kind"] == "Secret"], "no secret values in git"
    (container,) = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e}
    assert refs["SLACK_BOT_TOKEN"].get("optional") is not True
    assert refs["RELEASEBOT_DATABASE_URL"]["optional"] is True


def test_the_configmap_holds_a_valid_in_cluster_configuration(tmp_path: Path) -> None:
    docs = render()
    configmap = one(docs, "ConfigMap")
    path = tmp_path / "releasebot.yml"
    path.write_text(configmap["data"]["releasebot.yml"])
    config = load_config(path)
    assert [c.in_cluster for c in config.clusters.values()] == [True]
    (container,) = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    volumes = one(docs, "Deployment")["spec"]["template"]["spec"]["volumes"]
    assert {"name": "config", "configMap": {"name": configmap["metadata"]["name"]}} in volumes
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["RELEASEBOT_CONFIG"] == "/etc/releasebot/releasebot.yml"


def test_every_managed_namespace_has_the_role_and_its_binding() -> None:
    docs = render()
    config = yaml.safe_load(one(docs, "ConfigMap")["data"]["releasebot.yml"])
    namespaces = {env["namespace"] for env in config["environments"].values()}
    roles = {d["metadata"]["namespace"] for d in docs if d["kind"] == "Role"}
    bindings = {d["metadata"]["namespace"] for d in docs if d["kind"] == "RoleBinding"}
    assert namespaces <= roles
    assert namespaces <= bindings
    assert (
        one(docs, "PodDisruptionBudget")["spec"]["selector"]
        == one(docs, "Deployment")["spec"]["selector"]
    )


@pytest.mark.realcluster
def test_the_real_apiserver_accepts_every_manifest(control_plane: ControlPlane) -> None:
    core = client.CoreV1Api(control_plane.api)
    existing = {ns.metadata.name for ns in core.list_namespace().items}
    for name in ("releasebot", "apps"):
        if name not in existing:
            core.create_namespace({"metadata": {"name": name}})
    applied = subprocess.run(
        [
            str(KUBECTL),
            "--kubeconfig",
            str(control_plane.kubeconfig),
            "apply",
            "--dry-run=server",
            "-k",
            str(ROOT / "deploy"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert applied.returncode == 0, applied.stderr
    kinds = {line.split("/")[0] for line in applied.stdout.splitlines()}
    assert {
        "namespace",
        "serviceaccount",
        "role.rbac.authorization.k8s.io",
        "rolebinding.rbac.authorization.k8s.io",
        "configmap",
        "deployment.apps",
        "poddisruptionbudget.policy",
    } <= kinds, applied.stdout
    assert "(server dry run)" in applied.stdout
