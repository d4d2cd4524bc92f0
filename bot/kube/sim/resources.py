"""The kinds of object the simulated cluster serves, described once for routing and discovery."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ResourceType:
    group: str  # "" for the core group
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = (
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    )
    subresources: tuple[str, ...] = ()
    has_generation: bool = False
    # Deployments bump metadata.generation on annotation changes too (registry strategy).
    generation_tracks_annotations: bool = False

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> str:
        return f"{self.group}/{self.plural}"


NAMESPACES = ResourceType("", "v1", "Namespace", "namespaces", "namespace", False, ("ns",))
PODS = ResourceType("", "v1", "Pod", "pods", "pod", True, ("po",), subresources=("status",))
EVENTS = ResourceType("", "v1", "Event", "events", "event", True, ("ev",))
DEPLOYMENTS = ResourceType(
    "apps",
    "v1",
    "Deployment",
    "deployments",
    "deployment",
    True,
    ("deploy",),
    subresources=("status", "scale"),
    has_generation=True,
    generation_tracks_annotations=True,
)
REPLICASETS = ResourceType(
    "apps",
    "v1",
    "ReplicaSet",
    "replicasets",
    "replicaset",
    True,
    ("rs",),
    subresources=("status", "scale"),
    has_generation=True,
)
LEASES = ResourceType("coordination.k8s.io", "v1", "Lease", "leases", "lease", True)

ALL: tuple[ResourceType, ...] = (NAMESPACES, PODS, EVENTS, DEPLOYMENTS, REPLICASETS, LEASES)


def find(group: str, version: str, plural: str) -> ResourceType | None:
    for rtype in ALL:
        if rtype.group == group and rtype.version == version and rtype.plural == plural:
            return rtype
    return None
