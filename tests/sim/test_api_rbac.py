"""Bearer tokens and RBAC: 401 for strangers, 403 with the real wording, least privilege."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from bot.clock import ManualClock
from bot.kube.sim.rbac import Identity, grants_from_role
from bot.kube.sim.serve import SimHandle, run_simulated_cluster
from tests.sim.helpers import deployment, http

NS = "apps"
ROLE_RULES = yaml.safe_load(
    """
- {apiGroups: [apps], resources: [deployments], verbs: [get, list, watch, patch]}
- {apiGroups: [apps], resources: [replicasets], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [pods, events], verbs: [get, list, watch]}
- {apiGroups: [coordination.k8s.io], resources: [leases], verbs: [get, create, update]}
"""
)
ADMIN_GRANTS = frozenset(
    (verb, group, resource)
    for verb in ("create", "get", "list", "patch", "update", "delete")
    for group, resource in (("apps", "deployments"), ("apps", "deployments/status"))
)


@pytest.fixture
def rbac_sim(tmp_path: Any) -> Iterator[SimHandle]:
    rules = {
        "bot-token": Identity("releasebot", grants_from_role(ROLE_RULES)),
        "admin-token": Identity("admin", ADMIN_GRANTS),
    }
    with run_simulated_cluster(
        clock=ManualClock(),
        token_rules=rules,
        token="bot-token",
        kubeconfig_path=tmp_path / "kubeconfig",
        namespace=NS,
    ) as handle:
        code, _, _ = http(
            f"{handle.url}/apis/apps/v1/namespaces/{NS}/deployments",
            "POST",
            deployment(),
            headers={"Authorization": "Bearer admin-token"},
        )
        assert code == 201
        yield handle


@pytest.fixture
def bot_api(rbac_sim: SimHandle) -> Iterator[client.ApiClient]:
    api = config.new_client_from_config(config_file=str(rbac_sim.kubeconfig), context="sim")
    try:
        yield api
    finally:
        api.close()


def test_missing_or_unknown_token_is_401(rbac_sim: SimHandle) -> None:
    url = f"{rbac_sim.url}/apis/apps/v1/namespaces/{NS}/deployments"
    code, _, status = http(url)
    assert (code, status["reason"], status["message"]) == (401, "Unauthorized", "Unauthorized")
    code, _, _ = http(url, headers={"Authorization": "Bearer wrong"})
    assert code == 401


def test_forbidden_has_the_real_message(rbac_sim: SimHandle) -> None:
    code, _, status = http(
        f"{rbac_sim.url}/apis/apps/v1/namespaces/{NS}/deployments/api",
        "PATCH",
        {"spec": {"replicas": 3}},
        content_type="application/merge-patch+json",
        headers={"Authorization": "Bearer admin-token"},
    )
    assert code == 200
    code, _, status = http(
        f"{rbac_sim.url}/apis/apps/v1/namespaces/{NS}/deployments",
        "POST",
        deployment("other"),
        headers={"Authorization": "Bearer bot-token"},
    )
    assert code == 403
    assert status["message"] == (
        'deployments.apps is forbidden: User "releasebot" cannot create resource "deployments" '
        'in API group "apps" in the namespace "apps"'
    )
    assert status["reason"] == "Forbidden"
    assert status["details"] == {"group": "apps", "kind": "deployments"}


def test_least_privilege_role_allows_exactly_what_the_bot_does(
    bot_api: client.ApiClient,
) -> None:
    apps = client.AppsV1Api(bot_api)
    core = client.CoreV1Api(bot_api)
    leases = client.CoordinationV1Api(bot_api)
    apps.read_namespaced_deployment("api", NS)
    apps.list_namespaced_deployment(NS, field_selector="metadata.name=api")
    apps.patch_namespaced_deployment(
        "api", NS, {"metadata": {"annotations": {"kubernetes.io/change-cause": "v2"}}}
    )
    apps.list_namespaced_replica_set(NS)
    core.list_namespaced_pod(NS)
    core.list_namespaced_event(NS)
    lease = leases.create_namespaced_lease(NS, {"metadata": {"name": "releasebot"}})
    leases.replace_namespaced_lease("releasebot", NS, lease)

    def refused(call: Any, *args: Any) -> dict[str, Any]:
        with pytest.raises(ApiException) as caught:
            call(*args)
        assert caught.value.status == 403
        body: dict[str, Any] = json.loads(caught.value.body)
        return body

    status = refused(apps.patch_namespaced_deployment_status, "api", NS, {"status": {}})
    assert 'cannot patch resource "deployments/status"' in status["message"]
    status = refused(apps.delete_namespaced_deployment, "api", NS)
    assert status["message"] == (
        'deployments.apps "api" is forbidden: User "releasebot" cannot delete resource '
        '"deployments" in API group "apps" in the namespace "apps"'
    )
    refused(apps.replace_namespaced_deployment, "api", NS, deployment())
    refused(apps.patch_namespaced_replica_set, "api-x", NS, {})
    refused(core.delete_namespaced_pod, "p", NS)
    refused(leases.delete_namespaced_lease, "releasebot", NS)
    status = refused(core.list_namespace)
    assert status["message"] == (
        'namespaces is forbidden: User "releasebot" cannot list resource "namespaces" '
        'in API group "" at the cluster scope'
    )


def test_discovery_needs_only_a_known_token(rbac_sim: SimHandle) -> None:
    code, _, body = http(f"{rbac_sim.url}/apis", headers={"Authorization": "Bearer bot-token"})
    assert code == 200 and body["kind"] == "APIGroupList"
