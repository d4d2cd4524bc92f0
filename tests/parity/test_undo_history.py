"""`kubectl rollout undo` / `history` and the driver on twin Deployments.

The same history is built in two namespaces; kubectl acts on one, the driver on the other.
Afterwards the two must be indistinguishable: template, annotations, revisions, and the
ReplicaSets with their revision and revision-history annotations. Refusals must carry
kubectl's own words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.kube.driver import Cluster
from bot.kube.errors import KubeError
from bot.kube.sim.behaviour import PodBehaviour
from bot.kube.sim.resources import DEPLOYMENTS, REPLICASETS
from bot.kube.sim.serve import SimHandle, ensure_namespace
from tests.conftest import Kubectl
from tests.parity.scene import REPO, create, set_image, settle
from tests.sim import simkit

pytestmark = pytest.mark.kubectl

BY_KUBECTL, BY_DRIVER = "by-kubectl", "by-driver"
Obj = dict[str, Any]


@pytest.fixture
def twins(sim: SimHandle) -> Iterator[Callable[..., None]]:
    """Build the same history in both namespaces: one revision per image, each rolled out."""
    sim.cluster.images.set(f"{REPO}:*", PodBehaviour.ready(after=1))
    for ns in (BY_KUBECTL, BY_DRIVER):
        ensure_namespace(sim.cluster, ns)

    def build(*versions: str, **spec: Any) -> None:
        for ns in (BY_KUBECTL, BY_DRIVER):
            first, *rest = versions
            create(sim.cluster, ns, "web", image=f"{REPO}:{first}", replicas=2, **spec)
            settle(sim.cluster)
            for version in rest:
                set_image(sim.cluster, ns, "web", f"{REPO}:{version}")
                annotate(sim, ns, f"deploy {version}")
                settle(sim.cluster)

    yield build


def annotate(sim: SimHandle, ns: str, cause: str) -> None:
    def mutate(d: Obj) -> None:
        d["metadata"].setdefault("annotations", {})["kubernetes.io/change-cause"] = cause

    simkit.change(sim.cluster, "web", mutate, ns)


@pytest.fixture
def twin(driver: Cluster) -> Cluster:
    """The driver, acting on the twin that kubectl does not touch."""
    return driver.in_namespace(BY_DRIVER)


def snapshot(sim: SimHandle, ns: str) -> Obj:
    """What must be equal between the twins: no uids, times, versions or namespaces."""
    deployment = sim.cluster.store.get(DEPLOYMENTS, ns, "web")
    sets, _ = sim.cluster.store.list(REPLICASETS, ns)
    return {
        "generation": deployment["metadata"]["generation"],
        "annotations": deployment["metadata"].get("annotations", {}),
        "template": deployment["spec"]["template"],
        "paused": deployment["spec"].get("paused", False),
        "replicasets": sorted(
            (
                rs["metadata"]["name"],
                rs["metadata"].get("annotations", {}),
                rs["spec"]["replicas"],
                rs["spec"]["template"]["spec"]["containers"][0]["image"],
            )
            for rs in sets
        ),
    }


def undo_both(sim: SimHandle, kubectl: Kubectl, twin: Cluster, *args: str) -> tuple[str, str]:
    """kubectl's output (stdout, or stderr on failure) and the driver's message."""
    done = kubectl("-n", BY_KUBECTL, "rollout", "undo", "deployment/web", *args)
    kubectl_says = done.stdout.strip() if done.returncode == 0 else done.stderr.strip()
    revision = int(args[0].split("=")[1]) if args else None
    try:
        result = twin.undo("web", to_revision=revision)
        driver_says = f"deployment.apps/web {result.message}"
    except KubeError as err:
        driver_says = f"error: {err}"
    settle(sim.cluster)
    return kubectl_says, driver_says


def history_lines(kubectl: Kubectl) -> list[str]:
    done = kubectl("-n", BY_KUBECTL, "rollout", "history", "deployment/web")
    assert done.returncode == 0, done.stderr
    return [line.rstrip() for line in done.stdout.strip().splitlines()]


def test_undo_to_the_previous_revision(
    sim: SimHandle, kubectl: Kubectl, twin: Cluster, twins: Callable[..., None]
) -> None:
    twins("1", "2", "3")
    kubectl_says, driver_says = undo_both(sim, kubectl, twin)
    assert kubectl_says == driver_says == "deployment.apps/web rolled back"
    assert snapshot(sim, BY_KUBECTL) == snapshot(sim, BY_DRIVER)
    # [1,2,3] undo → 2 becomes 4, its old number in revision-history: [1,3,4]
    revisions = {
        a["deployment.kubernetes.io/revision"]
        for _, a, _, _ in snapshot(sim, BY_DRIVER)["replicasets"]
    }
    assert revisions == {"1", "3", "4"}
    assert twin.state("web").image == f"{REPO}:2"
    assert history_lines(kubectl)[1:] == twin.history("web").render().splitlines()


def test_undo_to_an_older_revision(
    sim: SimHandle, kubectl: Kubectl, twin: Cluster, twins: Callable[..., None]
) -> None:
    twins("1", "2", "3", "4")
    kubectl_says, driver_says = undo_both(sim, kubectl, twin, "--to-revision=1")
    assert kubectl_says == driver_says == "deployment.apps/web rolled back"
    assert snapshot(sim, BY_KUBECTL) == snapshot(sim, BY_DRIVER)
    assert twin.state("web").image == f"{REPO}:1"
    assert history_lines(kubectl)[1:] == twin.history("web").render().splitlines()


def test_undo_twice_swings_back_like_kubectl(
    sim: SimHandle, kubectl: Kubectl, twin: Cluster, twins: Callable[..., None]
) -> None:
    twins("1", "2")
    undo_both(sim, kubectl, twin)
    kubectl_says, driver_says = undo_both(sim, kubectl, twin)
    assert kubectl_says == driver_says
    assert snapshot(sim, BY_KUBECTL) == snapshot(sim, BY_DRIVER)
    assert twin.state("web").image == f"{REPO}:2"


def test_skipped_rollback_patches_nothing(
    sim: SimHandle, kubectl: Kubectl, twin: Cluster, twins: Callable[..., None]
) -> None:
    twins("1", "2", "3")
    before = snapshot(sim, BY_DRIVER)
    kubectl_says, driver_says = undo_both(sim, kubectl, twin, "--to-revision=3")
    assert kubectl_says == driver_says
    assert driver_says == (
        "deployment.apps/web skipped rollback (current template already matches revision 3)"
    )
    assert snapshot(sim, BY_DRIVER) == before
    assert snapshot(sim, BY_KUBECTL) == before


@pytest.mark.parametrize(
    ("versions", "args"),
    [
        (("1", "2"), ("--to-revision=9",)),
        (("1",), ()),
    ],
    ids=["unknown-revision", "no-history"],
)
def test_refusals_use_kubectl_words(
    sim: SimHandle,
    kubectl: Kubectl,
    twin: Cluster,
    twins: Callable[..., None],
    versions: tuple[str, ...],
    args: tuple[str, ...],
) -> None:
    twins(*versions)
    before = snapshot(sim, BY_DRIVER)
    kubectl_says, driver_says = undo_both(sim, kubectl, twin, *args)
    assert kubectl_says.startswith("error: ")
    assert driver_says == kubectl_says
    assert snapshot(sim, BY_DRIVER) == before


@pytest.mark.parametrize("args", [(), ("--to-revision=1",), ("--to-revision=9",)])
def test_a_paused_deployment_is_refused_like_kubectl(
    sim: SimHandle,
    kubectl: Kubectl,
    twin: Cluster,
    twins: Callable[..., None],
    args: tuple[str, ...],
) -> None:
    twins("1", "2")
    assert kubectl("-n", BY_KUBECTL, "rollout", "pause", "deployment/web").returncode == 0
    twin.pause("web")
    kubectl_says, driver_says = undo_both(sim, kubectl, twin, *args)
    assert driver_says == kubectl_says
    assert snapshot(sim, BY_KUBECTL) == snapshot(sim, BY_DRIVER)


def test_history_beyond_the_revision_history_limit(
    sim: SimHandle, kubectl: Kubectl, twin: Cluster, twins: Callable[..., None]
) -> None:
    twins("1", "2", "3", "4", "5", "6", revision_history_limit=2)
    lines = history_lines(kubectl)
    assert lines[1:] == twin.history("web").render().splitlines()
    assert [line.split()[0] for line in lines[2:]] == ["4", "5", "6"]
    kubectl_says, driver_says = undo_both(sim, kubectl, twin, "--to-revision=2")
    assert driver_says == kubectl_says == "error: unable to find specified revision 2 in history"
    assert snapshot(sim, BY_KUBECTL) == snapshot(sim, BY_DRIVER)


def test_history_with_no_change_cause(
    sim: SimHandle, kubectl: Kubectl, twin: Cluster, twins: Callable[..., None]
) -> None:
    twins("1")
    assert history_lines(kubectl)[1:] == twin.history("web").render().splitlines()
    assert twin.history("web").render().splitlines()[-1].split() == ["1", "<none>"]
