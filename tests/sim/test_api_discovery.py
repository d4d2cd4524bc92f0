"""Discovery in both forms, chosen by the Accept header as kubectl and client-go send it."""

from __future__ import annotations

from bot.kube.sim.serve import SimHandle
from tests.sim.helpers import http

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"


def test_aggregated_discovery(sim: SimHandle) -> None:
    code, headers, body = http(f"{sim.url}/apis", headers={"Accept": AGGREGATED})
    assert code == 200
    assert headers["Content-Type"] == (
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    )
    assert body["kind"] == "APIGroupDiscoveryList"
    groups = {item["metadata"]["name"]: item for item in body["items"]}
    assert set(groups) == {"apps", "coordination.k8s.io"}
    resources = {r["resource"]: r for r in groups["apps"]["versions"][0]["resources"]}
    deployments = resources["deployments"]
    assert deployments["scope"] == "Namespaced"
    assert deployments["shortNames"] == ["deploy"]
    subs = {s["subresource"]: s["responseKind"]["kind"] for s in deployments["subresources"]}
    assert subs == {"status": "Deployment", "scale": "Scale"}
    _, _, core = http(f"{sim.url}/api", headers={"Accept": AGGREGATED})
    assert {r["resource"] for r in core["items"][0]["versions"][0]["resources"]} == {
        "namespaces",
        "pods",
        "events",
    }


def test_legacy_discovery(sim: SimHandle) -> None:
    _, headers, api = http(f"{sim.url}/api")
    assert headers["Content-Type"] == "application/json"
    assert api["kind"] == "APIVersions" and api["versions"] == ["v1"]
    _, _, apis = http(f"{sim.url}/apis")
    assert [g["name"] for g in apis["groups"]] == ["apps", "coordination.k8s.io"]
    _, _, v1 = http(f"{sim.url}/api/v1")
    names = [r["name"] for r in v1["resources"]]
    assert names == ["namespaces", "pods", "pods/status", "events"]
    _, _, apps = http(f"{sim.url}/apis/apps/v1")
    assert "deployments/scale" in [r["name"] for r in apps["resources"]]
    _, _, version = http(f"{sim.url}/version")
    assert (version["major"], version["minor"]) == ("1", "37")


def test_unknown_paths_are_404_status(sim: SimHandle) -> None:
    code, _, body = http(f"{sim.url}/apis/batch/v1")
    assert code == 404 and body["kind"] == "Status"
    code, _, body = http(f"{sim.url}/apis/apps/v1/namespaces/apps/statefulsets")
    assert code == 404 and body["reason"] == "NotFound"
