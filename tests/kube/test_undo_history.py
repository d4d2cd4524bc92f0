"""Undo and history over HTTP against the simulated deployment controller."""

from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client

from bot.kube.driver import Cluster
from bot.kube.errors import RolloutRefused
from bot.kube.models import UndoOutcome

from .conftest import NAMESPACE, settle


@pytest.fixture
def three_revisions(sim: Any, driver: Cluster, create_deployment: Callable[..., Any]) -> None:
    create_deployment("api", "shop/api:1")
    settle(sim)
    # Revision 1 has no change-cause; kubectl prints <none> for it.
    driver.deploy("api", image="shop/api:2", change_cause="deploy 2", release_id="r2")
    settle(sim)
    driver.deploy("api", image="shop/api:3", change_cause="deploy 3", release_id="r3")
    settle(sim)


def test_history_lists_owned_revisions_in_order(driver: Cluster, three_revisions: None) -> None:
    history = driver.history("api")
    assert [(e.revision, e.change_cause, e.image) for e in history.entries] == [
        (1, "<none>", "shop/api:1"),
        (2, "deploy 2", "shop/api:2"),
        (3, "deploy 3", "shop/api:3"),
    ]
    assert history.render() == (
        "REVISION  CHANGE-CAUSE\n1         <none>\n2         deploy 2\n3         deploy 3"
    )


def test_empty_history_says_so(driver: Cluster, create_deployment: Callable[..., Any]) -> None:
    # The controller has not run yet, so no ReplicaSet exists.
    create_deployment("api", "shop/api:1", paused=True)
    assert driver.history("api").render() == "No rollout history found."


def test_undo_goes_to_the_previous_revision_with_its_annotations(
    driver: Cluster, three_revisions: None, apps_api: client.AppsV1Api
) -> None:
    result = driver.undo("api")
    assert (result.outcome, result.to_revision, result.message) == (
        UndoOutcome.ROLLED_BACK,
        2,
        "rolled back",
    )
    stored = apps_api.read_namespaced_deployment("api", NAMESPACE)
    assert stored.spec.template.spec.containers[0].image == "shop/api:2"
    assert "pod-template-hash" not in stored.spec.template.metadata.labels
    assert stored.metadata.annotations["releasebot/release-id"] == "r2"
    assert stored.metadata.annotations["kubernetes.io/change-cause"] == "deploy 2"


def test_undo_to_a_named_revision(
    sim: Any, driver: Cluster, three_revisions: None, apps_api: client.AppsV1Api
) -> None:
    result = driver.undo("api", to_revision=1)
    assert (result.outcome, result.to_revision) == (UndoOutcome.ROLLED_BACK, 1)
    stored = apps_api.read_namespaced_deployment("api", NAMESPACE)
    assert stored.spec.template.spec.containers[0].image == "shop/api:1"
    assert "kubernetes.io/change-cause" not in stored.metadata.annotations
    settle(sim)
    # The old ReplicaSet is re-used and becomes the newest revision: [1,2,3] → [2,3,4].
    assert [e.revision for e in driver.history("api").entries] == [2, 3, 4]
    assert driver.state("api").revision == 4


def test_undo_to_the_current_template_is_skipped_and_patches_nothing(
    driver: Cluster, three_revisions: None, apps_api: client.AppsV1Api
) -> None:
    before = apps_api.read_namespaced_deployment("api", NAMESPACE).metadata.resource_version
    result = driver.undo("api", to_revision=3)
    assert result.outcome is UndoOutcome.SKIPPED
    assert result.message == "skipped rollback (current template already matches revision 3)"
    after = apps_api.read_namespaced_deployment("api", NAMESPACE).metadata.resource_version
    assert before == after


def test_undo_to_an_unknown_revision_is_refused(driver: Cluster, three_revisions: None) -> None:
    with pytest.raises(RolloutRefused, match=r"^unable to find specified revision 9 in history$"):
        driver.undo("api", to_revision=9)


def test_a_paused_deployment_is_not_rolled_back(driver: Cluster, three_revisions: None) -> None:
    driver.pause("api")
    assert driver.state("api").paused
    with pytest.raises(RolloutRefused) as caught:
        driver.undo("api")
    assert str(caught.value) == (
        "you cannot rollback a paused deployment; resume it first with "
        "'kubectl rollout resume' and try again"
    )
    driver.resume("api")
    assert driver.undo("api").outcome is UndoOutcome.ROLLED_BACK
