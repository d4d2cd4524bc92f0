"""The official Python client against the simulated API server: CRUD, errors, versions."""

from __future__ import annotations

import json

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from bot.kube.sim.serve import SimHandle
from tests.sim.helpers import deployment, http

NS = "apps"


def test_create_get_list_deployment(kube_client: client.ApiClient) -> None:
    apps = client.AppsV1Api(kube_client)
    created = apps.create_namespaced_deployment(NS, deployment())
    assert created.metadata.generation == 1
    assert created.metadata.uid
    got = apps.read_namespaced_deployment("api", NS)
    assert got.spec.template.spec.containers[0].image == "registry.example.com/shop/api:1.0"
    listed = apps.list_namespaced_deployment(NS)
    assert [d.metadata.name for d in listed.items] == ["api"]
    assert int(listed.metadata.resource_version) >= int(got.metadata.resource_version)
    assert apps.list_deployment_for_all_namespaces().items[0].metadata.namespace == NS


def test_generate_name(kube_client: client.ApiClient) -> None:
    lease = client.CoordinationV1Api(kube_client).create_namespaced_lease(
        NS, {"metadata": {"generateName": "lock-"}, "spec": {"holderIdentity": "me"}}
    )
    assert lease.metadata.name.startswith("lock-") and len(lease.metadata.name) == 10


def test_not_found_is_a_status(kube_client: client.ApiClient) -> None:
    apps = client.AppsV1Api(kube_client)
    with pytest.raises(ApiException) as caught:
        apps.read_namespaced_deployment("nope", NS)
    assert caught.value.status == 404
    status = json.loads(caught.value.body)
    assert status == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'deployments.apps "nope" not found',
        "reason": "NotFound",
        "details": {"name": "nope", "group": "apps", "kind": "deployments"},
        "code": 404,
    }


def test_create_in_missing_namespace_is_404(kube_client: client.ApiClient) -> None:
    with pytest.raises(ApiException) as caught:
        client.AppsV1Api(kube_client).create_namespaced_deployment("ghost", deployment())
    assert caught.value.status == 404
    assert json.loads(caught.value.body)["message"] == 'namespaces "ghost" not found'


def test_already_exists_and_conflict_are_409(kube_client: client.ApiClient) -> None:
    apps = client.AppsV1Api(kube_client)
    apps.create_namespaced_deployment(NS, deployment())
    with pytest.raises(ApiException) as exists:
        apps.create_namespaced_deployment(NS, deployment())
    assert exists.value.status == 409
    assert json.loads(exists.value.body)["reason"] == "AlreadyExists"
    assert json.loads(exists.value.body)["message"] == 'deployments.apps "api" already exists'

    first = apps.read_namespaced_deployment("api", NS)
    first.spec.replicas = 3
    apps.replace_namespaced_deployment("api", NS, first)
    first.spec.replicas = 4  # still carries the old resourceVersion
    with pytest.raises(ApiException) as conflict:
        apps.replace_namespaced_deployment("api", NS, first)
    body = json.loads(conflict.value.body)
    assert conflict.value.status == 409
    assert body["reason"] == "Conflict"
    assert body["message"] == (
        'Operation cannot be fulfilled on deployments.apps "api": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )


def test_missing_name_is_422_invalid(sim: SimHandle) -> None:
    body = deployment()
    del body["metadata"]["name"]
    code, _, status = http(f"{sim.url}/apis/apps/v1/namespaces/{NS}/deployments", "POST", body)
    assert code == 422
    assert status["reason"] == "Invalid"
    assert status["details"]["causes"][0]["field"] == "metadata.name"


def test_generation_follows_spec_and_annotations_not_status(kube_client: client.ApiClient) -> None:
    apps = client.AppsV1Api(kube_client)
    created = apps.create_namespaced_deployment(NS, deployment())
    rv0 = int(created.metadata.resource_version)

    status = apps.patch_namespaced_deployment_status(
        "api", NS, {"status": {"observedGeneration": 1, "replicas": 2}}
    )
    assert status.metadata.generation == 1
    assert status.status.replicas == 2
    assert int(status.metadata.resource_version) > rv0

    annotated = apps.patch_namespaced_deployment(
        "api", NS, {"metadata": {"annotations": {"kubernetes.io/change-cause": "v2"}}}
    )
    assert annotated.metadata.generation == 2
    assert annotated.status.replicas == 2  # the main resource keeps the status

    labelled = apps.patch_namespaced_deployment("api", NS, {"metadata": {"labels": {"x": "y"}}})
    assert labelled.metadata.generation == 2

    same = apps.patch_namespaced_deployment("api", NS, {"metadata": {"labels": {"x": "y"}}})
    assert same.metadata.resource_version == labelled.metadata.resource_version

    scaled = apps.patch_namespaced_deployment("api", NS, {"spec": {"replicas": 5}})
    assert scaled.metadata.generation == 3


def test_status_written_through_main_resource_is_ignored(kube_client: client.ApiClient) -> None:
    apps = client.AppsV1Api(kube_client)
    apps.create_namespaced_deployment(NS, deployment())
    patched = apps.patch_namespaced_deployment("api", NS, {"status": {"replicas": 9}})
    assert patched.status is None or patched.status.replicas != 9


def test_scale_subresource(kube_client: client.ApiClient) -> None:
    apps = client.AppsV1Api(kube_client)
    apps.create_namespaced_deployment(NS, deployment())
    scale = apps.read_namespaced_deployment_scale("api", NS)
    assert scale.spec.replicas == 2
    assert scale.status.selector == "app=api"
    apps.patch_namespaced_deployment_scale("api", NS, {"spec": {"replicas": 7}})
    got = apps.read_namespaced_deployment("api", NS)
    assert got.spec.replicas == 7
    assert got.metadata.generation == 2


def test_delete(kube_client: client.ApiClient) -> None:
    apps = client.AppsV1Api(kube_client)
    apps.create_namespaced_deployment(NS, deployment())
    result = apps.delete_namespaced_deployment("api", NS)
    result = result if isinstance(result, dict) else result.to_dict()
    assert result["status"] == "Success"
    assert result["details"]["name"] == "api"
    with pytest.raises(ApiException) as caught:
        apps.delete_namespaced_deployment("api", NS)
    assert caught.value.status == 404


def test_namespaces_events_leases(kube_client: client.ApiClient) -> None:
    core = client.CoreV1Api(kube_client)
    names = [n.metadata.name for n in core.list_namespace().items]
    assert names == ["apps", "default"]
    core.create_namespaced_event(
        NS,
        {
            "metadata": {"name": "api.1"},
            "involvedObject": {"kind": "Deployment", "name": "api", "namespace": NS},
            "reason": "ScalingReplicaSet",
            "message": "Scaled up",
            "type": "Normal",
        },
    )
    found = core.list_namespaced_event(NS, field_selector="involvedObject.name=api")
    assert [e.reason for e in found.items] == ["ScalingReplicaSet"]
    assert core.list_namespaced_event(NS, field_selector="involvedObject.name=x").items == []
    leases = client.CoordinationV1Api(kube_client)
    lease = leases.create_namespaced_lease(NS, {"metadata": {"name": "releasebot"}})
    lease.spec = {"holderIdentity": "pod-a", "leaseDurationSeconds": 15}
    updated = leases.replace_namespaced_lease("releasebot", NS, lease)
    assert updated.spec.holder_identity == "pod-a"


def test_label_and_field_selectors(kube_client: client.ApiClient) -> None:
    apps = client.AppsV1Api(kube_client)
    apps.create_namespaced_deployment(NS, deployment("api"))
    worker = deployment("worker")
    worker["metadata"]["labels"] = {"app": "worker"}
    apps.create_namespaced_deployment(NS, worker)

    def names(**kw: str) -> list[str]:
        return [d.metadata.name for d in apps.list_namespaced_deployment(NS, **kw).items]

    assert names(label_selector="app=api") == ["api"]
    assert names(label_selector="app==worker") == ["worker"]
    assert names(label_selector="app!=api") == ["worker"]
    assert names(label_selector="app in (api, worker)") == ["api", "worker"]
    assert names(label_selector="app notin (api)") == ["worker"]
    assert names(label_selector="tier") == ["api"]
    assert names(label_selector="!tier") == ["worker"]
    assert names(label_selector="app=api,!tier") == []
    assert names(field_selector="metadata.name=worker") == ["worker"]
    assert names(field_selector="metadata.namespace=apps,metadata.name!=worker") == ["api"]


def test_latency_slows_every_request(tmp_path: object) -> None:
    import time

    from bot.clock import ManualClock
    from bot.kube.sim.serve import run_simulated_cluster

    with run_simulated_cluster(clock=ManualClock(), latency=0.3) as handle:
        started = time.monotonic()
        code, _, _ = http(f"{handle.url}/version")
        assert code == 200
        assert time.monotonic() - started >= 0.3
