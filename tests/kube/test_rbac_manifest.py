"""The Roles under deploy/ grant exactly the rules KUBERNETES.md documents: not one verb,
resource or API group more (nor fewer), no wildcard, no secrets, no ClusterRole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"

# KUBERNETES.md, "Least privilege for the bot"
DOCUMENTED = {
    ("apps", "deployments"): {"get", "list", "watch", "patch"},
    ("apps", "replicasets"): {"get", "list", "watch"},
    ("", "pods"): {"get", "list", "watch"},
    ("", "events"): {"get", "list", "watch"},
    ("coordination.k8s.io", "leases"): {"get", "create", "update"},
}
RULE_KEYS = {"apiGroups", "resources", "verbs"}


def _documents() -> list[dict[str, Any]]:
    documents = []
    for path in sorted(DEPLOY.rglob("*.yaml")) + sorted(DEPLOY.rglob("*.yml")):
        documents += [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
    return documents


def _grants(rules: list[dict[str, Any]]) -> dict[tuple[str, str], set[str]]:
    grants: dict[tuple[str, str], set[str]] = {}
    for rule in rules:
        assert set(rule) == RULE_KEYS, f"a rule may only name {RULE_KEYS}: {rule}"
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                grants.setdefault((group, resource), set()).update(rule["verbs"])
    return grants


def roles() -> list[dict[str, Any]]:
    return [d for d in _documents() if d.get("kind") == "Role"]


def test_deploy_holds_a_role_and_no_cluster_role() -> None:
    assert roles(), "deploy/ has no Role"
    kinds = {d.get("kind") for d in _documents()}
    assert not kinds & {"ClusterRole", "ClusterRoleBinding"}


@pytest.mark.parametrize("role", roles(), ids=lambda r: r["metadata"].get("namespace", "?"))
def test_every_role_grants_exactly_the_documented_rules(role: dict[str, Any]) -> None:
    assert _grants(role["rules"]) == DOCUMENTED


def test_the_comparison_notices_one_extra_verb_resource_or_group() -> None:
    base = roles()[0]["rules"]
    for extra in (
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["delete"]},
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]},
        {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get"]},
        {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
    ):
        assert _grants([*base, extra]) != DOCUMENTED
    assert _grants(base[1:]) != DOCUMENTED
