"""The three patch types, over HTTP as clients send them and on their own for the directives."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from kubernetes import client

from bot.kube.sim.apistatus import ApiError
from bot.kube.sim.patching import apply_merge_patch, apply_strategic_merge_patch
from bot.kube.sim.serve import SimHandle
from tests.sim.helpers import deployment, http

NS = "apps"
URL = f"/apis/apps/v1/namespaces/{NS}/deployments/api"


def containers(obj: Any) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = obj["spec"]["template"]["spec"]["containers"]
    return result


def test_strategic_merge_by_container_name(kube_client: client.ApiClient) -> None:
    apps = client.AppsV1Api(kube_client)
    apps.create_namespaced_deployment(NS, deployment())
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "api", "image": "x:2"}]}}}}
    patched = apps.patch_namespaced_deployment("api", NS, patch)
    images = [(c.name, c.image) for c in patched.spec.template.spec.containers]
    assert images == [("api", "x:2"), ("sidecar", "registry.example.com/proxy:1")]
    assert [e.name for e in patched.spec.template.spec.containers[0].env] == ["A", "B"]


def test_merge_patch_replaces_lists(sim: SimHandle) -> None:
    http(f"{sim.url}/apis/apps/v1/namespaces/{NS}/deployments", "POST", deployment())
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "api", "image": "x:2"}]}}}}
    code, _, body = http(sim.url + URL, "PATCH", patch, content_type="application/merge-patch+json")
    assert code == 200
    assert [(c["name"], c["image"]) for c in containers(body)] == [("api", "x:2")]
    assert "env" not in containers(body)[0]


def test_json_patch_and_failing_test_op(kube_client: client.ApiClient, sim: SimHandle) -> None:
    apps = client.AppsV1Api(kube_client)
    apps.create_namespaced_deployment(NS, deployment())
    ops = [{"op": "replace", "path": "/spec/template/spec/containers/1/image", "value": "p:2"}]
    patched = apps.patch_namespaced_deployment("api", NS, ops)
    assert patched.spec.template.spec.containers[1].image == "p:2"
    failing = [{"op": "test", "path": "/spec/replicas", "value": 99}]
    code, _, status = http(
        sim.url + URL, "PATCH", failing, content_type="application/json-patch+json"
    )
    assert code == 422
    assert status["kind"] == "Status" and status["reason"] == "Invalid"


def test_apply_patch_is_415(sim: SimHandle) -> None:
    http(f"{sim.url}/apis/apps/v1/namespaces/{NS}/deployments", "POST", deployment())
    code, _, status = http(sim.url + URL, "PATCH", {}, content_type="application/apply-patch+yaml")
    assert code == 415
    assert status["reason"] == "UnsupportedMediaType"
    assert "application/strategic-merge-patch+json" in status["message"]


def test_patch_with_stale_resource_version_conflicts(sim: SimHandle) -> None:
    http(f"{sim.url}/apis/apps/v1/namespaces/{NS}/deployments", "POST", deployment())
    patch = {"metadata": {"resourceVersion": "1", "labels": {"x": "y"}}}
    code, _, status = http(
        sim.url + URL, "PATCH", patch, content_type="application/merge-patch+json"
    )
    assert code == 409
    assert status["reason"] == "Conflict"


def test_patch_of_missing_object_is_404(sim: SimHandle) -> None:
    code, _, status = http(sim.url + URL, "PATCH", {}, content_type="application/merge-patch+json")
    assert (code, status["message"]) == (404, 'deployments.apps "api" not found')


BASE: dict[str, Any] = {
    "containers": [
        {
            "name": "a",
            "image": "a:1",
            "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 81}],
            "volumeMounts": [{"mountPath": "/data", "name": "d"}],
        },
        {"name": "b", "image": "b:1"},
    ],
    "finalizers": ["x", "y"],
    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
    "tolerations": [{"key": "k"}],
}


def smp(patch: dict[str, Any]) -> dict[str, Any]:
    return apply_strategic_merge_patch(copy.deepcopy(BASE), patch)


def test_smp_merges_nested_keyed_lists() -> None:
    out = smp({"containers": [{"name": "a", "ports": [{"containerPort": 81, "name": "m"}]}]})
    assert out["containers"][0]["ports"] == [
        {"containerPort": 80, "name": "http"},
        {"containerPort": 81, "name": "m"},
    ]
    assert out["containers"][0]["image"] == "a:1"
    out = smp({"containers": [{"name": "c", "image": "c:1"}]})
    assert [c["name"] for c in out["containers"]] == ["a", "b", "c"]


def test_smp_lists_without_merge_key_are_replaced() -> None:
    assert smp({"tolerations": [{"key": "z"}]})["tolerations"] == [{"key": "z"}]


def test_smp_delete_and_replace_directives() -> None:
    out = smp({"containers": [{"name": "b", "$patch": "delete"}]})
    assert [c["name"] for c in out["containers"]] == ["a"]
    out = smp({"containers": [{"name": "z", "image": "z:1"}, {"$patch": "replace"}]})
    assert out["containers"] == [{"name": "z", "image": "z:1"}]
    out = smp({"strategy": {"$patch": "replace", "type": "Recreate"}})
    assert out["strategy"] == {"type": "Recreate"}
    out = smp({"strategy": {"$patch": "delete"}})
    assert "strategy" not in out
    out = smp({"strategy": {"rollingUpdate": None}})
    assert out["strategy"] == {"type": "RollingUpdate"}


def test_smp_retain_keys_and_primitive_lists() -> None:
    out = smp({"strategy": {"$retainKeys": ["type"], "type": "Recreate"}})
    assert out["strategy"] == {"type": "Recreate"}
    assert smp({"finalizers": ["z", "x"]})["finalizers"] == ["x", "y", "z"]
    assert smp({"$deleteFromPrimitiveList/finalizers": ["x"]})["finalizers"] == ["y"]


def test_smp_set_element_order() -> None:
    out = smp({"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]})
    assert [c["name"] for c in out["containers"]] == ["b", "a"]
    out = smp(
        {
            "$setElementOrder/containers": [{"name": "b"}, {"name": "a"}],
            "containers": [{"name": "a", "image": "a:2"}],
        }
    )
    assert [(c["name"], c["image"]) for c in out["containers"]] == [("b", "b:1"), ("a", "a:2")]


def test_smp_unknown_directive_is_refused() -> None:
    with pytest.raises(ApiError) as caught:
        smp({"strategy": {"$patch": "explode"}})
    assert caught.value.code == 400


def test_merge_patch_rfc7386_examples() -> None:
    assert apply_merge_patch(
        {"a": "b", "c": {"d": "e", "f": "g"}}, {"a": "z", "c": {"f": None}}
    ) == {
        "a": "z",
        "c": {"d": "e"},
    }
    assert apply_merge_patch({"a": [1, 2]}, {"a": [3]}) == {"a": [3]}
    assert apply_merge_patch({"a": "b"}, {"a": {"x": None}}) == {"a": {}}
