"""ReplicaSet naming, revisions, rollback re-use, history clean-up and copied annotations."""

from __future__ import annotations

import re

from bot.kube.sim.cluster import SimulatedCluster
from bot.kube.sim.deployutil import compute_hash, fnv32a, safe_encode
from tests.sim.simkit import (
    Obj,
    change,
    create,
    get,
    new_cluster,
    replica_sets,
    rollout_done,
    run_until,
    sample,
    set_image,
)

REVISION = "deployment.kubernetes.io/revision"
HISTORY = "deployment.kubernetes.io/revision-history"


def _by_image(cluster: SimulatedCluster, name: str = "web") -> dict[str, Obj]:
    return {
        rs["spec"]["template"]["spec"]["containers"][0]["image"]: rs
        for rs in replica_sets(cluster, name)
    }


def _roll(cluster: SimulatedCluster, image: str) -> None:
    set_image(cluster, "web", image)
    run_until(cluster, lambda: rollout_done(get(cluster, "web")))


def test_fnv32a_and_safe_encoding_match_the_go_implementation() -> None:
    assert fnv32a(b"") == 0x811C9DC5
    assert fnv32a(b"a") == 0xE40C292C
    assert safe_encode("0123456789") == "456789bcdf"
    template = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": []}}
    assert compute_hash(template, None) == compute_hash(template, None)
    assert compute_hash(template, None) != compute_hash(template, 1)


def test_new_replica_set_is_named_by_template_hash_and_labelled() -> None:
    cluster = new_cluster()
    create(cluster, sample("web", replicas=2, image="app:1"))
    (rs,) = replica_sets(cluster, "web")
    name = rs["metadata"]["name"]
    assert re.fullmatch(r"web-[bcdfghjklmnpqrstvwxz2456789]{1,10}", name)
    template_hash = name.removeprefix("web-")
    assert rs["metadata"]["labels"]["pod-template-hash"] == template_hash
    assert rs["spec"]["selector"]["matchLabels"] == {
        "app": "web",
        "pod-template-hash": template_hash,
    }
    assert rs["spec"]["template"]["metadata"]["labels"]["pod-template-hash"] == template_hash
    ref = rs["metadata"]["ownerReferences"][0]
    assert ref["controller"] is True and ref["kind"] == "Deployment"
    assert ref["uid"] == get(cluster, "web")["metadata"]["uid"]
    annotations = rs["metadata"]["annotations"]
    assert annotations[REVISION] == "1"
    assert annotations["deployment.kubernetes.io/desired-replicas"] == "2"
    assert annotations["deployment.kubernetes.io/max-replicas"] == "3"
    assert get(cluster, "web")["metadata"]["annotations"][REVISION] == "1"


def test_deployment_annotations_are_copied_except_the_skipped_ones() -> None:
    cluster = new_cluster()
    manifest = sample(
        "web",
        replicas=1,
        annotations={
            "kubernetes.io/change-cause": "deploy 1",
            "kubectl.kubernetes.io/last-applied-configuration": "{}",
        },
    )
    create(cluster, manifest)
    (rs,) = replica_sets(cluster, "web")
    annotations = rs["metadata"]["annotations"]
    assert annotations["kubernetes.io/change-cause"] == "deploy 1"
    assert "kubectl.kubernetes.io/last-applied-configuration" not in annotations


def test_rollback_reuses_the_old_replica_set_with_the_next_revision() -> None:
    cluster = new_cluster()
    create(cluster, sample("web", replicas=3, image="app:1"))
    run_until(cluster, lambda: rollout_done(get(cluster, "web")))
    _roll(cluster, "app:2")
    _roll(cluster, "app:3")
    revisions = {
        image: rs["metadata"]["annotations"][REVISION] for image, rs in _by_image(cluster).items()
    }
    assert revisions == {"app:1": "1", "app:2": "2", "app:3": "3"}
    uid_before = _by_image(cluster)["app:2"]["metadata"]["uid"]
    _roll(cluster, "app:2")
    by_image = _by_image(cluster)
    assert len(by_image) == 3
    assert by_image["app:2"]["metadata"]["uid"] == uid_before
    revisions = {image: rs["metadata"]["annotations"][REVISION] for image, rs in by_image.items()}
    assert revisions == {"app:1": "1", "app:3": "3", "app:2": "4"}
    assert by_image["app:2"]["metadata"]["annotations"][HISTORY] == "2"
    assert get(cluster, "web")["metadata"]["annotations"][REVISION] == "4"
    _roll(cluster, "app:3")
    _roll(cluster, "app:2")
    assert _by_image(cluster)["app:2"]["metadata"]["annotations"][HISTORY] == "2,4"


def test_old_replica_sets_beyond_the_history_limit_are_deleted() -> None:
    cluster = new_cluster()
    create(cluster, sample("web", replicas=1, image="app:0", revision_history_limit=2))
    run_until(cluster, lambda: rollout_done(get(cluster, "web")))
    for n in range(1, 6):
        _roll(cluster, f"app:{n}")
    cluster.advance(1)
    by_image = _by_image(cluster)
    assert sorted(by_image) == ["app:3", "app:4", "app:5"]
    assert by_image["app:5"]["spec"]["replicas"] == 1


def test_zero_history_limit_keeps_only_the_current_replica_set() -> None:
    cluster = new_cluster()
    create(cluster, sample("web", replicas=1, image="app:0", revision_history_limit=0))
    run_until(cluster, lambda: rollout_done(get(cluster, "web")))
    _roll(cluster, "app:1")
    cluster.advance(1)
    assert sorted(_by_image(cluster)) == ["app:1"]


def test_generation_follows_spec_and_annotations_and_is_observed() -> None:
    cluster = new_cluster()
    create(cluster, sample("web", replicas=1, image="app:1"))
    assert get(cluster, "web")["metadata"]["generation"] == 1
    assert get(cluster, "web")["status"]["observedGeneration"] == 1
    change(cluster, "web", lambda d: d["metadata"].setdefault("annotations", {}).update(x="y"))
    d = get(cluster, "web")
    assert d["metadata"]["generation"] == 2
    assert d["status"]["observedGeneration"] == 2
    run_until(cluster, lambda: rollout_done(get(cluster, "web")))
    assert get(cluster, "web")["metadata"]["generation"] == 2
    change(cluster, "web", lambda d: d["spec"].update(replicas=3))
    d = get(cluster, "web")
    assert (d["metadata"]["generation"], d["status"]["observedGeneration"]) == (3, 3)
