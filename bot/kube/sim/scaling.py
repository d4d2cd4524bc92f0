"""How big each ReplicaSet may be: new-RS growth, FindActiveOrLatest, proportional scaling.

When a Deployment is resized mid-rollout and several ReplicaSets are active, the replicas
added or removed are shared out in proportion to each one's size, so a resize neither
finishes nor undoes the rollout.
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


def new_rs_new_replicas(d: Obj, all_rss: list[Obj], new_rs: Obj) -> int:
    """NewRSNewReplicas: how far the new RS may grow now without passing maxSurge."""
    replicas = du.replicas_of(d)
    if not du.is_rolling(d):
        return replicas
    rolling = d["spec"]["strategy"].get("rollingUpdate") or {}
    surge = du.scaled_value(rolling.get("maxSurge", 0), replicas, True)
    current = du.spec_replicas(all_rss)
    max_total = replicas + surge
    if current >= max_total:
        return du.replicas_of(new_rs)
    scale_up = min(max_total - current, replicas - du.replicas_of(new_rs))
    return du.replicas_of(new_rs) + scale_up


def set_min_ready(rs: Obj, seconds: int) -> None:
    if seconds:
        rs["spec"]["minReadySeconds"] = seconds
    else:
        rs["spec"].pop("minReadySeconds", None)


def active_or_latest(new_rs: Obj | None, old_rss: list[Obj]) -> Obj | None:
    """FindActiveOrLatest: the one RS with replicas, or the newest when none has any."""
    if new_rs is None and not old_rss:
        return None
    newest_first = sorted(old_rss, key=by_creation, reverse=True)
    candidates = du.active([*newest_first, *([new_rs] if new_rs else [])])
    if not candidates:
        return new_rs if new_rs is not None else newest_first[0]
    return candidates[0] if len(candidates) == 1 else None


def is_saturated(d: Obj, rs: Obj | None) -> bool:
    if rs is None:
        return False
    replicas = du.replicas_of(d)
    return (
        du.replicas_of(rs) == replicas
        and du.desired_replicas_annotation(rs) == replicas
        and du.status_count([rs], "availableReplicas") == replicas
    )
