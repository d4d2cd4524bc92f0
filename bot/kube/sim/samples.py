"""Deployment manifests for tests and demos, as a client would send them (before defaults)."""

from __future__ import annotations

from typing import Any

from bot.kube.sim.store import Obj


def deployment_manifest(
    name: str,
    *,
    image: str = "registry.example.com/shop/app:1.0.0",
    replicas: int | None = 3,
    container: str | None = None,
    strategy: str | None = None,
    max_surge: int | str | None = None,
    max_unavailable: int | str | None = None,
    min_ready_seconds: int | None = None,
    progress_deadline_seconds: int | None = None,
    revision_history_limit: int | None = None,
    paused: bool | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> Obj:
    """An apps/v1 Deployment; ``None`` leaves a field out so the API server defaults it."""
    pod_labels = labels or {"app": name}
    spec: dict[str, Any] = {
        "selector": {"matchLabels": dict(pod_labels)},
        "template": {
            "metadata": {"labels": dict(pod_labels)},
            "spec": {"containers": [{"name": container or name, "image": image}]},
        },
    }
    optional = {
        "replicas": replicas,
        "minReadySeconds": min_ready_seconds,
        "progressDeadlineSeconds": progress_deadline_seconds,
        "revisionHistoryLimit": revision_history_limit,
        "paused": paused,
    }
    spec.update({key: value for key, value in optional.items() if value is not None})
    if strategy is not None or max_surge is not None or max_unavailable is not None:
        spec["strategy"] = {"type": strategy or "RollingUpdate"}
        rolling = {
            key: value
            for key, value in (("maxSurge", max_surge), ("maxUnavailable", max_unavailable))
            if value is not None
        }
        if rolling:
            spec["strategy"]["rollingUpdate"] = rolling
    metadata: dict[str, Any] = {"name": name}
    if annotations:
        metadata["annotations"] = dict(annotations)
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata, "spec": spec}
