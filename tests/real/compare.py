"""What to compare between the sim and the real controllers after one scenario.

Only what the controllers decide: names are kept (both hash the pod template the same way),
times, uids and resource versions are dropped, pod names (random suffixes) become ``<pod>``.
Events come from the controllers alone: the real control plane has no kubelet, so the sim
kubelet's pod events have nothing to be compared with.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from tests.real.backends import Backend

Obj = dict[str, Any]
CONTROLLERS = {"deployment-controller", "replicaset-controller"}
VOLATILE = {"uid", "resourceVersion", "creationTimestamp", "managedFields", "generateName"}


def _clean_meta(meta: Obj) -> Obj:
    out = {k: v for k, v in meta.items() if k not in VOLATILE}
    if "ownerReferences" in out:
        out["ownerReferences"] = [
            {k: v for k, v in ref.items() if k != "uid"} for ref in out["ownerReferences"]
        ]
    return out


def deployment_view(d: Obj) -> Obj:
    status = dict(d.get("status") or {})
    status["conditions"] = sorted(
        (c["type"], c["status"], c.get("reason"), c.get("message"))
        for c in status.get("conditions") or []
    )
    return {"metadata": _clean_meta(d["metadata"]), "spec": d["spec"], "status": status}


def replica_set_view(rs: Obj) -> Obj:
    meta = _clean_meta(rs["metadata"])
    status = {k: v for k, v in (rs.get("status") or {}).items() if k != "conditions"}
    return {"metadata": meta, "spec": rs["spec"], "status": status}


def events_view(backend: Backend, names: set[str]) -> dict[str, Any]:
    """Per object: the controllers' events in order (reason, message with pods hidden)."""
    items = backend.core.list_namespaced_event(backend.namespace).items
    events = [backend.api.sanitize_for_serialization(e) for e in items]
    by_object: dict[str, list[tuple[str, str]]] = {}
    counts: Counter[str] = Counter()
    for event in sorted(events, key=_when):
        source = (event.get("source") or {}).get("component") or event.get("reportingComponent")
        if source not in CONTROLLERS:
            continue
        obj = event["involvedObject"]
        if obj["name"] not in names:
            continue
        message = re.sub(r"Created pod: \S+|Deleted pod: \S+", _pod, event.get("message", ""))
        key = f"{obj['kind']}/{obj['name']}"
        for _ in range(int(event.get("count") or 1)):
            counts[f"{key} {event['reason']}: {message}"] += 1
        if obj["kind"] == "Deployment":
            by_object.setdefault(key, []).append((event["reason"], message))
    return {"deployment": by_object, "counts": dict(sorted(counts.items()))}


def _pod(match: re.Match[str]) -> str:
    return match.group(0).split(":")[0] + ": <pod>"


def _when(event: Obj) -> tuple[str, str]:
    return (
        event.get("firstTimestamp") or event.get("eventTime") or "",
        event["metadata"]["name"],
    )


def snapshot(backend: Backend, name: str) -> Obj:
    """The scenario's outcome, with each pod-template-hash replaced by its template's image:
    the sim's hash is not upstream's (see the README), and naming the ReplicaSet by what it
    runs lets every other field be compared."""
    deployment = backend.deployment(name)
    sets = backend.replica_sets(name)
    names = {name} | {rs["metadata"]["name"] for rs in sets}
    view = {
        "deployment": deployment_view(deployment),
        "replicasets": [replica_set_view(rs) for rs in sets],
        "events": events_view(backend, names),
    }
    text = json.dumps(view)
    for rs in sets:
        digest = rs["metadata"]["labels"]["pod-template-hash"]
        image = rs["spec"]["template"]["spec"]["containers"][0]["image"].rsplit(":", 1)[-1]
        text = text.replace(digest, f"<hash of {image}>")
    result: Obj = json.loads(text)
    result["replicasets"].sort(key=lambda rs: rs["metadata"]["name"])
    return result


def differences(sim: Any, real: Any, path: str = "") -> list[str]:
    """Every path at which the two differ, with both values, for a readable failure."""
    if isinstance(sim, dict) and isinstance(real, dict):
        out: list[str] = []
        for key in sorted(set(sim) | set(real), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in sim:
                out.append(f"{where}: only real has {real[key]!r}")
            elif key not in real:
                out.append(f"{where}: only sim has {sim[key]!r}")
            else:
                out.extend(differences(sim[key], real[key], where))
        return out
    if isinstance(sim, list) and isinstance(real, list) and len(sim) == len(real):
        return [
            d
            for i, (a, b) in enumerate(zip(sim, real, strict=False))
            for d in differences(a, b, f"{path}[{i}]")
        ]
    return [] if sim == real else [f"{path}: sim {sim!r} != real {real!r}"]
