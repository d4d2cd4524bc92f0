"""Watch streams as the client libraries consume them: resume, 410, selectors, watch-list."""

from __future__ import annotations

import http.client
import json
import threading
from typing import Any
from urllib.parse import urlsplit

import pytest
from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

from bot.clock import ManualClock
from bot.kube.sim.resources import LEASES
from bot.kube.sim.serve import SimHandle, run_simulated_cluster
from bot.kube.sim.store import HISTORY_LIMIT
from tests.sim.helpers import deployment
from tests.waiting import wait_until

NS = "apps"


def stream_lines(url: str, path: str, limit: int = 100) -> list[dict[str, Any]]:
    """Read a watch stream to its end (or ``limit`` events) as decoded events."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        assert response.status == 200
        assert response.getheader("Transfer-Encoding") == "chunked"
        events = []
        while len(events) < limit:
            line = response.readline()
            if not line:
                break
            events.append(json.loads(line))
        return events
    finally:
        conn.close()


def lease(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": {"role": "leader"}}, "spec": {}}


def test_watch_resumes_from_resource_version(kube_client: client.ApiClient) -> None:
    leases = client.CoordinationV1Api(kube_client)
    first = leases.create_namespaced_lease(NS, lease("a"))
    leases.patch_namespaced_lease("a", NS, {"spec": {"holderIdentity": "one"}})
    leases.patch_namespaced_lease("a", NS, {"spec": {"holderIdentity": "two"}})
    seen = [
        (event["type"], event["object"].spec.holder_identity)
        for event in watch.Watch().stream(
            leases.list_namespaced_lease,
            NS,
            resource_version=first.metadata.resource_version,
            timeout_seconds=1,
        )
    ]
    assert seen == [("MODIFIED", "one"), ("MODIFIED", "two")]


def test_watch_without_version_starts_with_current_state(sim: SimHandle) -> None:
    sim.cluster.store.create(LEASES, NS, lease("a"))
    sim.cluster.store.create(LEASES, NS, lease("b"))
    events = stream_lines(
        sim.url, f"/apis/coordination.k8s.io/v1/namespaces/{NS}/leases?watch=true&timeoutSeconds=1"
    )
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "a"),
        ("ADDED", "b"),
    ]


def test_too_old_resource_version_is_410_error_event(
    sim: SimHandle, kube_client: client.ApiClient
) -> None:
    store = sim.cluster.store
    store.create(LEASES, NS, lease("busy"))
    for i in range(HISTORY_LIMIT + 5):
        current = store.get(LEASES, NS, "busy")
        current["spec"] = {"holderIdentity": f"pod-{i}"}
        store.update(LEASES, NS, current)
    events = stream_lines(
        sim.url,
        f"/apis/coordination.k8s.io/v1/namespaces/{NS}/leases?watch=true&resourceVersion=2",
    )
    assert len(events) == 1
    assert events[0]["type"] == "ERROR"
    status = events[0]["object"]
    assert (status["kind"], status["code"], status["reason"]) == ("Status", 410, "Expired")
    assert status["message"].startswith("too old resource version: 2 (")

    leases = client.CoordinationV1Api(kube_client)
    with pytest.raises(ApiException) as caught:
        list(watch.Watch().stream(leases.list_namespaced_lease, NS, resource_version="2"))
    assert caught.value.status == 410


def test_watch_filters_by_field_and_label_selector(sim: SimHandle) -> None:
    store = sim.cluster.store
    store.create(LEASES, NS, lease("a"))
    store.create(LEASES, NS, {"metadata": {"name": "b", "labels": {"role": "follower"}}})
    base = f"/apis/coordination.k8s.io/v1/namespaces/{NS}/leases?watch=1&timeoutSeconds=1"
    by_name = stream_lines(sim.url, base + "&fieldSelector=metadata.name%3Db")
    assert [e["object"]["metadata"]["name"] for e in by_name] == ["b"]
    by_label = stream_lines(sim.url, base + "&labelSelector=role%20in%20(leader)")
    assert [e["object"]["metadata"]["name"] for e in by_label] == ["a"]
    legacy = stream_lines(
        sim.url, f"/apis/coordination.k8s.io/v1/watch/namespaces/{NS}/leases/a?timeoutSeconds=1"
    )
    assert [e["object"]["metadata"]["name"] for e in legacy] == ["a"]


def test_watch_list_ends_initial_events_with_a_bookmark(sim: SimHandle) -> None:
    store = sim.cluster.store
    store.create(LEASES, NS, lease("a"))
    store.create(LEASES, NS, lease("b"))
    rv = store.resource_version
    events = stream_lines(
        sim.url,
        f"/apis/coordination.k8s.io/v1/namespaces/{NS}/leases?watch=true&sendInitialEvents=true"
        "&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1",
    )
    assert [e["type"] for e in events] == ["ADDED", "ADDED", "BOOKMARK"]
    bookmark = events[2]["object"]
    assert bookmark["kind"] == "Lease"
    assert bookmark["metadata"]["resourceVersion"] == str(rv)
    assert bookmark["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_watch_sees_writes_made_while_it_is_open(sim: SimHandle) -> None:
    store = sim.cluster.store
    store.create(LEASES, NS, lease("a"))
    rv = store.resource_version
    result: list[list[dict[str, Any]]] = []
    reader = threading.Thread(
        target=lambda: result.append(
            stream_lines(
                sim.url,
                f"/apis/coordination.k8s.io/v1/namespaces/{NS}/leases?watch=true"
                f"&resourceVersion={rv}&timeoutSeconds=5",
                limit=1,
            )
        )
    )
    reader.start()
    wait_until(lambda: sim.server.watches.open_count, what="the watch to open")
    store.delete(LEASES, NS, "a")
    reader.join(timeout=10)
    assert [e["type"] for e in result[0]] == ["DELETED"]


def test_stopping_the_server_ends_open_watches() -> None:
    with run_simulated_cluster(clock=ManualClock(), namespace=NS) as handle:
        result: list[list[dict[str, Any]]] = []
        reader = threading.Thread(
            target=lambda: result.append(
                stream_lines(handle.url, f"/apis/apps/v1/namespaces/{NS}/deployments?watch=1")
            )
        )
        reader.start()
        wait_until(lambda: handle.server.watches.open_count, what="the watch to open")
    reader.join(timeout=10)
    assert not reader.is_alive()
    assert result == [[]]


def test_deployment_watch_by_name_sees_rollout_changes(
    sim: SimHandle, kube_client: client.ApiClient
) -> None:
    apps = client.AppsV1Api(kube_client)
    apps.create_namespaced_deployment(NS, deployment("api"))
    apps.create_namespaced_deployment(NS, deployment("other"))
    start = apps.read_namespaced_deployment("api", NS).metadata.resource_version
    apps.patch_namespaced_deployment("api", NS, {"metadata": {"annotations": {"a": "b"}}})
    apps.patch_namespaced_deployment("other", NS, {"metadata": {"annotations": {"a": "b"}}})
    names = {
        event["object"].metadata.name
        for event in watch.Watch().stream(
            apps.list_namespaced_deployment,
            NS,
            field_selector="metadata.name=api",
            resource_version=start,
            timeout_seconds=1,
        )
    }
    assert names == {"api"}
