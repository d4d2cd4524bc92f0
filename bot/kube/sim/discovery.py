"""Discovery documents, built from the resource table so routing and discovery never disagree.

kubectl 1.37 asks for the aggregated form (apidiscovery.k8s.io/v2) on ``/api`` and ``/apis``
and falls back to the legacy documents when a server does not answer in that form; both are
served here, and which one a client gets depends only on its Accept header.
"""

from __future__ import annotations

from bot.kube.sim.resources import ALL, ResourceType
from bot.kube.sim.store import Obj

AGGREGATED_CONTENT_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
_SUBRESOURCE_VERBS = ["get", "patch", "update"]
_IN_ALL_CATEGORY = frozenset({"pods", "deployments", "replicasets"})

VERSION: Obj = {
    "major": "1",
    "minor": "37",
    "emulationMajor": "1",
    "emulationMinor": "37",
    "minCompatibilityMajor": "1",
    "minCompatibilityMinor": "36",
    "gitVersion": "v1.37.0-releasebot-sim",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.25.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def wants_aggregated(accept: str) -> bool:
    return "as=APIGroupDiscoveryList" in accept and "g=apidiscovery.k8s.io" in accept


def groups() -> list[str]:
    """Named API groups in table order, the core group excluded."""
    seen: list[str] = []
    for rtype in ALL:
        if rtype.group and rtype.group not in seen:
            seen.append(rtype.group)
    return seen


def versions_of(group: str) -> list[str]:
    seen: list[str] = []
    for rtype in ALL:
        if rtype.group == group and rtype.version not in seen:
            seen.append(rtype.version)
    return seen


def _subresource_kind(rtype: ResourceType, subresource: str) -> tuple[str, str, str]:
    if subresource == "scale":
        return "autoscaling", "v1", "Scale"
    return rtype.group, rtype.version, rtype.kind


def _aggregated_resource(rtype: ResourceType) -> Obj:
    entry: Obj = {
        "resource": rtype.plural,
        "responseKind": {"group": rtype.group, "version": rtype.version, "kind": rtype.kind},
        "scope": "Namespaced" if rtype.namespaced else "Cluster",
        "singularResource": rtype.singular,
        "verbs": sorted(rtype.verbs),
    }
    if rtype.short_names:
        entry["shortNames"] = list(rtype.short_names)
    if rtype.plural in _IN_ALL_CATEGORY:
        entry["categories"] = ["all"]
    if rtype.subresources:
        entry["subresources"] = []
        for sub in rtype.subresources:
            group, version, kind = _subresource_kind(rtype, sub)
            entry["subresources"].append(
                {
                    "subresource": sub,
                    "responseKind": {"group": group, "version": version, "kind": kind},
                    "verbs": _SUBRESOURCE_VERBS,
                }
            )
    return entry


def _aggregated_group(group: str) -> Obj:
    return {
        "metadata": {"name": group, "creationTimestamp": None},
        "versions": [
            {
                "version": version,
                "resources": [
                    _aggregated_resource(r)
                    for r in ALL
                    if r.group == group and r.version == version
                ],
                "freshness": "Current",
            }
            for version in versions_of(group)
        ],
    }


def aggregated(core: bool) -> Obj:
    """The APIGroupDiscoveryList for ``/api`` (core) or ``/apis`` (every named group)."""
    names = [""] if core else groups()
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": [_aggregated_group(name) for name in names],
    }


def api_versions(server_address: str) -> Obj:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def _group_entry(group: str) -> Obj:
    versions = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions_of(group)]
    return {"name": group, "versions": versions, "preferredVersion": versions[0]}


def api_group_list() -> Obj:
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group_entry(g) for g in groups()],
    }


def api_group(group: str) -> Obj | None:
    if group not in groups():
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_entry(group)}


def api_resource_list(group: str, version: str) -> Obj | None:
    types = [r for r in ALL if r.group == group and r.version == version]
    if not types:
        return None
    resources: list[Obj] = []
    for rtype in types:
        entry: Obj = {
            "name": rtype.plural,
            "singularName": rtype.singular,
            "namespaced": rtype.namespaced,
            "kind": rtype.kind,
            "verbs": sorted(rtype.verbs),
        }
        if rtype.short_names:
            entry["shortNames"] = list(rtype.short_names)
        if rtype.plural in _IN_ALL_CATEGORY:
            entry["categories"] = ["all"]
        resources.append(entry)
        for sub in rtype.subresources:
            sub_group, sub_version, kind = _subresource_kind(rtype, sub)
            sub_entry: Obj = {
                "name": f"{rtype.plural}/{sub}",
                "singularName": "",
                "namespaced": rtype.namespaced,
                "kind": kind,
                "verbs": _SUBRESOURCE_VERBS,
            }
            if sub == "scale":
                sub_entry["group"] = sub_group
                sub_entry["version"] = sub_version
            resources.append(sub_entry)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }
