"""Checks that span keys: names that must exist elsewhere, promotion chains, policy needs.

They read the plain mapping rather than the models so that they also run when some other
part of the file is invalid; a person then sees every problem in one pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.config import messages

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Reference:
    loc: Loc
    message: str


def _section(data: Mapping[str, object], key: str) -> Mapping[str, object]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def reference_problems(data: Mapping[str, object]) -> list[Reference]:
    clusters = _section(data, "clusters")
    environments = _section(data, "environments")
    services = _section(data, "services")
    env_names = ", ".join(str(e) for e in environments) or "none defined"
    problems: list[Reference] = []
    promote: dict[str, str] = {}
    for env, body in environments.items():
        if not isinstance(body, Mapping):
            continue
        cluster = body.get("cluster")
        if isinstance(cluster, str) and cluster not in clusters:
            allowed = ", ".join(str(c) for c in clusters) or "none defined"
            problems.append(
                Reference(
                    ("environments", env, "cluster"),
                    messages.UNKNOWN_CLUSTER.format(found=cluster, allowed=allowed),
                )
            )
        problems.extend(_policy_problems(str(env), body))
        source = body.get("promote_from")
        if not isinstance(source, str):
            continue
        loc: Loc = ("environments", env, "promote_from")
        if source == env:
            problems.append(Reference(loc, messages.PROMOTE_FROM_SELF.format(found=source)))
        elif source not in environments:
            problems.append(
                Reference(loc, messages.UNKNOWN_ENVIRONMENT.format(found=source, allowed=env_names))
            )
        else:
            promote[env] = source
    problems.extend(_cycles(promote))
    for service, body in services.items():
        if not isinstance(body, Mapping) or not isinstance(body.get("environments"), list):
            continue
        for index, env in enumerate(body["environments"]):
            if isinstance(env, str) and env not in environments:
                problems.append(
                    Reference(
                        ("services", service, "environments", index),
                        messages.UNKNOWN_ENVIRONMENT.format(found=env, allowed=env_names),
                    )
                )
    return problems


def _policy_problems(env: str, body: Mapping[str, object]) -> list[Reference]:
    """Checked here rather than in the model so it is reported even when a freeze is invalid."""
    policy, approvals = body.get("policy"), body.get("approvals")
    loc: Loc = ("environments", env, "approvals")
    if policy == "approval" and approvals is None:
        return [Reference(loc, messages.APPROVALS_REQUIRED)]
    if policy in ("auto", "manual") and approvals is not None:
        return [Reference(loc, messages.APPROVALS_UNUSED.format(policy=policy))]
    return []


def _cycles(promote: Mapping[str, str]) -> list[Reference]:
    """Each cycle once, reported at its member that comes first in the file."""
    problems: list[Reference] = []
    reported: set[str] = set()
    for start in promote:
        path: list[str] = []
        node: str | None = start
        while node is not None and node not in path and node not in reported:
            path.append(node)
            node = promote.get(node)
        if node is None or node in reported:
            continue
        cycle = path[path.index(node) :]
        reported.update(cycle)
        first = min(cycle, key=list(promote).index)
        at = cycle.index(first)
        ordered = cycle[at:] + cycle[:at]
        # Arrows point the way versions flow: from the source to the environment promoting.
        text = " → ".join(reversed([*ordered, ordered[0]]))
        problems.append(
            Reference(
                ("environments", first, "promote_from"),
                messages.PROMOTE_CYCLE.format(cycle=text),
            )
        )
    return problems
