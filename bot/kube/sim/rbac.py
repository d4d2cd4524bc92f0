"""Bearer-token authentication and RBAC-style authorization for the simulated API server.

A grant is a (verb, apiGroup, resource) triple, where the resource may name a subresource
(``deployments/status``) exactly as an RBAC rule does; there are no wildcards, so a test that
gives the bot its least-privilege Role sees precisely what the real cluster would allow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Grant = tuple[str, str, str]


@dataclass(frozen=True)
class Identity:
    """Who a bearer token belongs to and what it may do.

    ``namespaces`` says where the grants hold, as a RoleBinding does: ``None`` means
    everywhere (a ClusterRoleBinding); a set means only in those namespaces, never at the
    cluster scope.
    """

    user: str
    grants: frozenset[Grant] = field(default_factory=frozenset)
    namespaces: frozenset[str] | None = None

    def allows(self, verb: str, group: str, resource: str, namespace: str | None = None) -> bool:
        if self.namespaces is not None and namespace not in self.namespaces:
            return False
        return (verb, group, resource) in self.grants


TokenRules = Mapping[str, Identity]


def grants_from_role(rules: Iterable[Mapping[str, Any]]) -> frozenset[Grant]:
    """Expand Role ``rules`` (``apiGroups``/``resources``/``verbs`` lists) into grants."""
    return frozenset(
        (verb, group, resource)
        for rule in rules
        for group in rule.get("apiGroups", [])
        for resource in rule.get("resources", [])
        for verb in rule.get("verbs", [])
    )


def authenticate(rules: TokenRules, authorization: str | None) -> Identity | None:
    if not authorization or not authorization.startswith("Bearer "):
        return None
    return rules.get(authorization[len("Bearer ") :].strip())
