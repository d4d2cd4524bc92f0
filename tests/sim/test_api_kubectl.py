"""The real kubectl 1.37 against the simulated API server."""

from __future__ import annotations

import json

import pytest
import yaml

from bot.kube.sim.resources import DEPLOYMENTS
from bot.kube.sim.serve import SimHandle
from tests.conftest import Kubectl
from tests.sim.helpers import deployment

pytestmark = pytest.mark.kubectl


@pytest.fixture
def api_deployment(kubectl: Kubectl) -> None:
    kubectl("create", "-f", "-", input=yaml.safe_dump(deployment()), check=True)


def image_of(kubectl: Kubectl, container: int = 0) -> str:
    path = f"{{.spec.template.spec.containers[{container}].image}}"
    return kubectl("get", "deploy", "api", "-o", f"jsonpath={path}", check=True).stdout


def test_create_and_get_json(kubectl: Kubectl, api_deployment: None) -> None:
    out = json.loads(kubectl("get", "deploy,rs,pods", "-o", "json", check=True).stdout)
    assert out["kind"] == "List"
    deployments = [i for i in out["items"] if i["kind"] == "Deployment"]
    assert [d["metadata"]["name"] for d in deployments] == ["api"]
    assert all(i["kind"] in ("Deployment", "ReplicaSet", "Pod") for i in out["items"])
    assert image_of(kubectl) == "registry.example.com/shop/api:1.0"


def test_get_prints_server_side_table(kubectl: Kubectl, api_deployment: None) -> None:
    out = kubectl("get", "deploy", check=True).stdout.splitlines()
    assert out[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert out[1].split()[0] == "api"
    wide = kubectl("get", "deploy", "-o", "wide", check=True).stdout.splitlines()
    assert wide[0].split()[-3:] == ["CONTAINERS", "IMAGES", "SELECTOR"]
    assert "api,sidecar" in wide[1] and "app=api" in wide[1]
    pods = kubectl("get", "pods", "--no-headers=false", check=True)
    assert pods.returncode == 0


def test_set_image_is_a_strategic_merge(kubectl: Kubectl, api_deployment: None) -> None:
    result = kubectl("set", "image", "deploy/api", "api=registry.example.com/shop/api:2.0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "deployment.apps/api image updated"
    assert image_of(kubectl) == "registry.example.com/shop/api:2.0"
    assert image_of(kubectl, 1) == "registry.example.com/proxy:1"
    generation = kubectl("get", "deploy", "api", "-o", "jsonpath={.metadata.generation}")
    assert generation.stdout == "2"


@pytest.mark.parametrize(
    ("patch_type", "patch", "sidecar_kept"),
    [
        (
            "strategic",
            {"spec": {"template": {"spec": {"containers": [{"name": "api", "image": "p:3"}]}}}},
            True,
        ),
        (
            "merge",
            {"spec": {"template": {"spec": {"containers": [{"name": "api", "image": "p:3"}]}}}},
            False,
        ),
        (
            "json",
            [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "p:3"}],
            True,
        ),
    ],
)
def test_kubectl_patch_types(
    kubectl: Kubectl, api_deployment: None, patch_type: str, patch: object, sidecar_kept: bool
) -> None:
    result = kubectl("patch", "deploy", "api", f"--type={patch_type}", "-p", json.dumps(patch))
    assert result.returncode == 0, result.stderr
    assert image_of(kubectl) == "p:3"
    names = kubectl(
        "get", "deploy", "api", "-o", "jsonpath={.spec.template.spec.containers[*].name}"
    )
    assert (names.stdout == "api sidecar") is sidecar_kept


def test_errors_read_as_from_a_real_server(kubectl: Kubectl, api_deployment: None) -> None:
    missing = kubectl("get", "deploy", "nope")
    assert missing.returncode == 1
    assert 'Error from server (NotFound): deployments.apps "nope" not found' in missing.stderr
    again = kubectl("create", "-f", "-", input=yaml.safe_dump(deployment()))
    assert "Error from server (AlreadyExists)" in again.stderr
    assert 'deployments.apps "api" already exists' in again.stderr


def test_scale_and_annotate(kubectl: Kubectl, api_deployment: None, sim: SimHandle) -> None:
    assert kubectl("scale", "deploy/api", "--replicas=4").returncode == 0
    assert kubectl("annotate", "deploy/api", "kubernetes.io/change-cause=v2").returncode == 0
    stored = sim.cluster.store.get(DEPLOYMENTS, "apps", "api")
    assert stored["spec"]["replicas"] == 4
    assert stored["metadata"]["annotations"]["kubernetes.io/change-cause"] == "v2"
    assert stored["metadata"]["generation"] == 3


def test_api_resources_from_aggregated_discovery(kubectl: Kubectl) -> None:
    out = kubectl("api-resources", "--no-headers", check=True).stdout
    rows = {line.split()[0]: line.split() for line in out.splitlines()}
    assert set(rows) == {"namespaces", "pods", "events", "deployments", "replicasets", "leases"}
    assert rows["deployments"][1:] == ["deploy", "apps/v1", "true", "Deployment"]
    assert kubectl("version", "-o", "json", check=True).stdout.count("v1.37.0") >= 1


def test_rollout_status_uses_watch_list(kubectl: Kubectl, api_deployment: None) -> None:
    result = kubectl("rollout", "status", "deploy/api", "--timeout=2s", "-v=6")
    assert "sendInitialEvents=true" in result.stderr
    assert "very short watch" not in result.stderr
    assert "Waiting for deployment" in result.stdout or "successfully rolled out" in result.stdout
