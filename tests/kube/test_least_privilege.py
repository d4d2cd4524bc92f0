"""The driver does its whole job with exactly the Role in deploy/rbac.yaml, and no more."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.clock import ManualClock
from bot.kube.connection import ClusterConfig, Timeouts
from bot.kube.driver import Cluster
from bot.kube.errors import Forbidden
from bot.kube.models import ExternalChange, RolloutSucceeded, UndoOutcome
from bot.kube.sim.rbac import Identity, grants_from_role
from bot.kube.sim.registry import admit
from bot.kube.sim.resources import DEPLOYMENTS
from bot.kube.sim.samples import deployment_manifest
from bot.kube.sim.serve import SimHandle, run_simulated_cluster
from tests.conftest import roll

ROOT = Path(__file__).resolve().parents[2]
NS = "apps"


def role_rules() -> list[dict[str, Any]]:
    documents = list(yaml.safe_load_all((ROOT / "deploy" / "rbac.yaml").read_text()))
    (role,) = [d for d in documents if d["kind"] == "Role"]
    rules: list[dict[str, Any]] = role["rules"]
    assert all("*" not in r["verbs"] and "*" not in r["resources"] for r in rules)
    assert not any("secrets" in r["resources"] for r in rules)
    return rules


@pytest.fixture
def restricted(tmp_path: Path) -> Iterator[tuple[SimHandle, Cluster]]:
    tokens = {
        "bot-token": Identity(
            "system:serviceaccount:releasebot:releasebot",
            grants_from_role(role_rules()),
            namespaces=frozenset({NS}),
        )
    }
    with run_simulated_cluster(
        clock=ManualClock(),
        token_rules=tokens,
        token="bot-token",
        kubeconfig_path=tmp_path / "kubeconfig",
        namespace=NS,
    ) as sim:
        manifest = deployment_manifest("api", image="registry.example.com/shop/api:1", replicas=3)
        sim.cluster.store.create(DEPLOYMENTS, NS, admit(DEPLOYMENTS, manifest, None))
        sim.cluster.advance(30)
        driver = Cluster.connect(
            ClusterConfig(context=sim.context, kubeconfig=str(sim.kubeconfig)),
            NS,
            clock=sim.clock,
            timeouts=Timeouts(connect=2.0, read=5.0),
        )
        try:
            yield sim, driver
        finally:
            driver.close()


def test_deploy_watch_history_undo_pause_with_the_least_privilege_role(
    restricted: tuple[SimHandle, Cluster],
) -> None:
    sim, driver = restricted
    changes = driver.external_changes(["api"])
    result = driver.deploy(
        "api", image="registry.example.com/shop/api:2", change_cause="v2", release_id="r2"
    )
    assert result.changed
    assert isinstance(roll(sim, driver, "api")[-1], RolloutSucceeded)
    assert [e.change_cause for e in driver.history("api").entries] == ["<none>", "v2"]
    undone = driver.undo("api")
    assert undone.outcome is UndoOutcome.ROLLED_BACK
    assert isinstance(roll(sim, driver, "api")[-1], RolloutSucceeded)
    driver.pause("api")
    driver.resume("api")
    assert driver.state("api").image == "registry.example.com/shop/api:1"

    # a change by hand (through the cluster, not the bot) is still seen with these rights
    old = sim.cluster.store.get(DEPLOYMENTS, NS, "api")
    new = sim.cluster.store.get(DEPLOYMENTS, NS, "api")
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.example.com/shop/api:9"
    sim.cluster.store.update(DEPLOYMENTS, NS, admit(DEPLOYMENTS, new, old))
    sim.cluster.after_write()
    seen = next(changes)
    assert isinstance(seen, ExternalChange)
    assert seen.new_image == "registry.example.com/shop/api:9"


def test_a_namespace_outside_the_role_is_a_clear_forbidden(
    restricted: tuple[SimHandle, Cluster],
) -> None:
    _, driver = restricted
    with pytest.raises(Forbidden) as caught:
        driver.in_namespace("default").state("api")
    message = str(caught.value)
    assert "forbidden" in message.lower()
    assert "default" in message
    assert "bot-token" not in message
