"""Helpers for driving the rollout driver against the simulated cluster over HTTP."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kubernetes import client, config

NAMESPACE = "apps"


def deployment_manifest(
    name: str, image: str, *, replicas: int = 3, containers: tuple[str, ...] = (), **spec: Any
) -> dict[str, Any]:
    names = containers or (name,)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": c, "image": image} for c in names]},
            },
            **spec,
        },
    }


@pytest.fixture
def apps_api(sim: Any) -> Iterator[client.AppsV1Api]:
    """A plain client, standing in for a person with kubectl, to set the scene."""
    api_client = config.new_client_from_config(config_file=str(sim.kubeconfig), context=sim.context)
    try:
        yield client.AppsV1Api(api_client)
    finally:
        api_client.close()


@pytest.fixture
def create_deployment(sim: Any, apps_api: client.AppsV1Api) -> Callable[..., dict[str, Any]]:
    def create(name: str, image: str, **kw: Any) -> dict[str, Any]:
        from bot.kube.sim.serve import ensure_namespace

        ensure_namespace(sim.cluster, NAMESPACE)
        body = deployment_manifest(name, image, **kw)
        apps_api.create_namespaced_deployment(NAMESPACE, body)
        return body

    return create


def settle(sim: Any, seconds: float = 60, step: float = 1.0) -> None:
    """Move the simulated cluster's time forward in steps so every rollout can finish."""
    moved = 0.0
    while moved < seconds:
        sim.cluster.advance(step)
        moved += step
