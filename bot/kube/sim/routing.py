"""URL paths of the Kubernetes API, parsed into what they address."""

from __future__ import annotations

from dataclasses import dataclass

from bot.kube.sim import resources
from bot.kube.sim.resources import ResourceType


@dataclass(frozen=True)
class ResourcePath:
    """``/apis/apps/v1/[watch/]namespaces/apps/deployments/api/status`` and its kin."""

    rtype: ResourceType
    namespace: str | None  # None: all namespaces, or a cluster-scoped kind
    name: str
    subresource: str
    watch_path: bool  # the legacy /watch/ prefix


@dataclass(frozen=True)
class DiscoveryPath:
    """``/api``, ``/apis``, ``/api/v1``, ``/apis/apps``, ``/apis/apps/v1``, ``/version``..."""

    what: str  # version | api | apis | group | group-version | openapi | unknown
    group: str = ""
    version: str = ""


def parse(path: str) -> ResourcePath | DiscoveryPath:
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    if parts == ["version"]:
        return DiscoveryPath("version")
    if parts[:2] == ["openapi", "v3"]:
        return DiscoveryPath("openapi", version="/".join(parts[2:]))
    if parts == ["api"]:
        return DiscoveryPath("api")
    if parts == ["apis"]:
        return DiscoveryPath("apis")
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    elif len(parts) == 2 and parts[0] == "apis":
        return DiscoveryPath("group", parts[1])
    else:
        return DiscoveryPath("unknown")
    if not rest:
        return DiscoveryPath("group-version", group, version)
    return _resource(group, version, rest) or DiscoveryPath("unknown")


def _resource(group: str, version: str, rest: list[str]) -> ResourcePath | None:
    watch_path = rest[0] == "watch"
    if watch_path:
        rest = rest[1:]
    namespace: str | None = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        inner = resources.find(group, version, rest[2])
        if inner is not None and inner.namespaced:
            namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        return None
    rtype = resources.find(group, version, rest[0])
    if rtype is None or (rtype.namespaced is False and namespace is not None):
        return None
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    if subresource and subresource not in rtype.subresources:
        return None
    if watch_path and subresource:
        return None
    return ResourcePath(rtype, namespace, name, subresource, watch_path)
