"""Proportional scaling of a Deployment resized mid-rollout (`sync.go` scale, util helpers).

When several ReplicaSets are active, the replicas added or removed are shared out in
proportion to each one's size, so a resize neither finishes nor undoes the rollout.
"""

from __future__ import annotations

import math

from bot.kube.sim import deployutil as du
from bot.kube.sim.meta import by_creation
from bot.kube.sim.store import Obj


def _round(value: float) -> int:
    """math.Round: halves away from zero (Python's round() would go to even)."""
    return math.floor(abs(value) + 0.5) * (1 if value >= 0 else -1)


def _fraction(rs: Obj, d: Obj) -> int:
    replicas = du.replicas_of(d)
    if replicas == 0:
        return -du.replicas_of(rs)
    max_now = replicas + du.max_surge(d)
    max_before = du.max_replicas_annotation(rs)
    if not max_before:
        max_before = int((d.get("status") or {}).get("replicas") or 0)
        if max_before == 0:
            return 0
    size = du.replicas_of(rs)
    return _round(size * max_now / max_before) - size


def _proportion(rs: Obj, d: Obj, to_add: int, added: int) -> int:
    if du.replicas_of(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = _fraction(rs, d)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def proportional_sizes(rss: list[Obj], d: Obj, to_add: int) -> list[tuple[Obj, int]]:
    """Each active RS with its new size; leftovers go to the first (largest) one."""
    ordered = sorted(rss, key=by_creation)
    if to_add > 0:
        # ReplicaSetsBySizeNewer: larger first, newer first among equals.
        ordered = sorted(reversed(ordered), key=lambda rs: -du.replicas_of(rs))
    elif to_add < 0:
        # ReplicaSetsBySizeOlder: larger first, older first among equals.
        ordered = sorted(ordered, key=lambda rs: -du.replicas_of(rs))
    sizes: list[tuple[Obj, int]] = []
    added = 0
    for rs in ordered:
        if to_add != 0:
            proportion = _proportion(rs, d, to_add, added)
            sizes.append((rs, du.replicas_of(rs) + proportion))
            added += proportion
        else:
            sizes.append((rs, du.replicas_of(rs)))
    if sizes and to_add != 0:
        first, size = sizes[0]
        sizes[0] = (first, max(size + to_add - added, 0))
    return sizes
