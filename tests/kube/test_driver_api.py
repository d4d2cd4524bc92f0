"""The driver against the simulated API server: requests, refusals and error messages."""

import socket
import time
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client

from bot.images import InvalidImageReference
from bot.kube.connection import ClusterConfig, Timeouts
from bot.kube.driver import Cluster
from bot.kube.errors import ClusterUnreachable, Forbidden, ObjectNotFound, RolloutRefused
from bot.kube.models import CHANGE_CAUSE, RELEASE_ID

from .conftest import NAMESPACE


def test_deploy_patches_image_and_annotations(
    driver: Cluster, create_deployment: Callable[..., Any], apps_api: client.AppsV1Api
) -> None:
    create_deployment("api", "registry.example.com/shop/api:1.0")
    result = driver.deploy(
        "api",
        image="registry.example.com/shop/api:1.1",
        change_cause="deploy 1.1 by @ana",
        release_id="rel-2",
    )
    assert result.changed
    assert result.previous_image == "registry.example.com/shop/api:1.0"
    stored = apps_api.read_namespaced_deployment("api", NAMESPACE)
    assert stored.spec.template.spec.containers[0].image == "registry.example.com/shop/api:1.1"
    assert stored.metadata.annotations[CHANGE_CAUSE] == "deploy 1.1 by @ana"
    assert stored.metadata.annotations[RELEASE_ID] == "rel-2"
    state = driver.state("api")
    assert (state.image, state.release_id) == ("registry.example.com/shop/api:1.1", "rel-2")


def test_repeating_a_release_patches_nothing(
    driver: Cluster, create_deployment: Callable[..., Any], apps_api: client.AppsV1Api
) -> None:
    create_deployment("api", "shop/api:1.0")
    driver.deploy("api", image="shop/api:1.1", change_cause="c", release_id="rel-2")
    before = apps_api.read_namespaced_deployment("api", NAMESPACE).metadata.resource_version
    again = driver.deploy("api", image="shop/api:1.1", change_cause="c", release_id="rel-2")
    after = apps_api.read_namespaced_deployment("api", NAMESPACE).metadata.resource_version
    assert not again.changed
    assert before == after


def test_deploy_patches_only_the_named_container(
    driver: Cluster, create_deployment: Callable[..., Any], apps_api: client.AppsV1Api
) -> None:
    create_deployment("api", "shop/api:1.0", containers=("api", "sidecar"))
    driver.deploy("api", image="shop/api:2.0", change_cause="c", release_id="r", container="api")
    containers = apps_api.read_namespaced_deployment("api", NAMESPACE).spec.template.spec.containers
    assert [(c.name, c.image) for c in containers] == [
        ("api", "shop/api:2.0"),
        ("sidecar", "shop/api:1.0"),
    ]


def test_a_malformed_image_is_refused_before_any_request(driver: Cluster) -> None:
    # No Deployment exists: a request would have failed with "not found" instead.
    with pytest.raises(InvalidImageReference, match="whitespace"):
        driver.deploy("api", image="api:1; rm -rf /", change_cause="c", release_id="r")


def test_missing_deployment_says_what_to_check(driver: Cluster) -> None:
    with pytest.raises(ObjectNotFound) as caught:
        driver.deploy("nope", image="shop/api:1", change_cause="c", release_id="r")
    message = str(caught.value)
    assert '"nope"' in message
    assert f'namespace "{NAMESPACE}"' in message
    assert "deployment name and namespace" in message
    assert not caught.value.retryable


def test_missing_container_names_the_ones_that_exist(
    driver: Cluster, create_deployment: Callable[..., Any]
) -> None:
    create_deployment("api", "shop/api:1.0", containers=("web", "sidecar"))
    with pytest.raises(ObjectNotFound, match=r'no container "api" \(it has: web, sidecar\)'):
        driver.deploy("api", image="shop/api:1.1", change_cause="c", release_id="r")


def test_unreachable_api_server_fails_fast_and_clearly() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on `port` any more.
    cluster = Cluster(_connection_to(f"http://127.0.0.1:{port}"), NAMESPACE, clock=None)
    started = time.monotonic()
    with pytest.raises(ClusterUnreachable) as caught:
        cluster.state("api")
    assert time.monotonic() - started < 5
    assert "unreachable" in str(caught.value)
    assert caught.value.retryable
    with pytest.raises(ClusterUnreachable):
        list(cluster.watch_rollout("api", timeout=1))
    assert time.monotonic() - started < 10
    cluster.close()


def _connection_to(url: str) -> Any:
    from bot.kube.connection import Connection

    configuration = client.Configuration()
    configuration.host = url
    configuration.retries = False
    return Connection(client.ApiClient(configuration), label="gone", timeouts=Timeouts(1.0, 2.0))


def test_undo_without_history_uses_kubectls_words(
    driver: Cluster, create_deployment: Callable[..., Any]
) -> None:
    create_deployment("api", "shop/api:1.0")
    with pytest.raises(RolloutRefused, match=r'^no rollout history found for deployment "api"$'):
        driver.undo("api")


def test_forbidden_names_the_verb_and_what_to_do(tmp_path: Any) -> None:
    from bot.clock import ManualClock
    from bot.kube.sim.rbac import Identity, grants_from_role
    from bot.kube.sim.serve import run_simulated_cluster

    read_only = Identity(
        "releasebot",
        grants_from_role([{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get"]}]),
    )
    with run_simulated_cluster(
        clock=ManualClock(),
        namespaces=[NAMESPACE],
        token_rules={"t0ken-secret": read_only},
        token="t0ken-secret",
    ) as handle:
        from bot.kube.sim.resources import DEPLOYMENTS

        from .conftest import deployment_manifest

        handle.cluster.store.create(DEPLOYMENTS, NAMESPACE, deployment_manifest("api", "api:1"))
        cluster = Cluster.connect(
            ClusterConfig(context=handle.context, kubeconfig=str(handle.kubeconfig)), NAMESPACE
        )
        try:
            with pytest.raises(Forbidden) as caught:
                cluster.deploy("api", image="api:2", change_cause="c", release_id="r")
        finally:
            cluster.close()
    message = str(caught.value)
    assert 'could not patch deployment "api"' in message
    assert "forbidden" in message
    assert 'context "sim"' in message
    assert "Role" in message
    assert "t0ken-secret" not in message
