"""Time-driven behaviour: minReadySeconds, progress deadlines, failing pods, pausing."""

from __future__ import annotations

from bot.kube.sim.behaviour import PodBehaviour
from bot.kube.sim.resources import PODS
from bot.kube.sim.store import WatchEvent
from tests.sim.simkit import (
    change,
    condition,
    create,
    events,
    get,
    new_cluster,
    pods,
    replica_sets,
    rollout_done,
    run_until,
    sample,
    set_image,
)


def test_min_ready_seconds_delays_availability() -> None:
    cluster = new_cluster()
    create(cluster, sample("web", replicas=2, image="app:1", min_ready_seconds=10))
    cluster.advance(2)  # pods Ready at +2 s
    status = get(cluster, "web")["status"]
    assert status["readyReplicas"] == 2
    assert "availableReplicas" not in status
    cluster.advance(10)  # Ready at 09:00:02; available strictly after 09:00:12
    assert "availableReplicas" not in get(cluster, "web")["status"]
    wake = cluster.next_wake()
    assert wake is not None and wake > cluster.clock.now()
    cluster.advance(1)
    status = get(cluster, "web")["status"]
    assert status["availableReplicas"] == 2
    assert condition(get(cluster, "web"), "Available")["status"] == "True"


def test_bad_image_exceeds_progress_deadline_and_keeps_old_pods() -> None:
    cluster = new_cluster()
    cluster.images.set("app:broken", PodBehaviour.bad_image())
    create(cluster, sample("web", replicas=3, image="app:1", progress_deadline_seconds=60))
    run_until(cluster, lambda: rollout_done(get(cluster, "web")))
    set_image(cluster, "web", "app:broken")
    cluster.advance(30)
    progressing = condition(get(cluster, "web"), "Progressing")
    assert progressing["reason"] == "ReplicaSetUpdated"
    broken = [p for p in pods(cluster, "web") if p["spec"]["containers"][0]["image"] != "app:1"]
    waiting = broken[0]["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting["reason"] in ("ErrImagePull", "ImagePullBackOff")
    assert broken[0]["status"]["phase"] == "Pending"
    cluster.advance(60)
    d = get(cluster, "web")
    progressing = condition(d, "Progressing")
    new_rs_name = broken[0]["metadata"]["ownerReferences"][0]["name"]
    assert progressing["status"] == "False"
    assert progressing["reason"] == "ProgressDeadlineExceeded"
    assert progressing["message"] == (f'ReplicaSet "{new_rs_name}" has timed out progressing.')
    old = [p for p in pods(cluster, "web") if p["spec"]["containers"][0]["image"] == "app:1"]
    assert len(old) == 3
    assert d["status"]["availableReplicas"] == 3
    reasons = {(e["type"], e["reason"]) for e in events(cluster)}
    assert ("Warning", "Failed") in reasons and ("Normal", "BackOff") in reasons


def test_deadline_compares_strictly_after_last_progress() -> None:
    cluster = new_cluster()
    cluster.images.set("app:broken*", PodBehaviour.bad_image())
    create(cluster, sample("web", replicas=1, image="app:broken-1", progress_deadline_seconds=30))
    progressing = condition(get(cluster, "web"), "Progressing")
    assert progressing["reason"] == "ReplicaSetUpdated"
    assert progressing["lastUpdateTime"] == "2026-01-05T09:00:00Z"
    cluster.advance(30)
    assert condition(get(cluster, "web"), "Progressing")["reason"] == "ReplicaSetUpdated"
    cluster.advance(0.5)
    assert condition(get(cluster, "web"), "Progressing")["reason"] == "ProgressDeadlineExceeded"


def test_crash_loop_restarts_with_backoff_and_times_out() -> None:
    cluster = new_cluster()
    cluster.images.set("app:crash", PodBehaviour.crash_loop())
    create(cluster, sample("web", replicas=2, image="app:1", progress_deadline_seconds=120))
    run_until(cluster, lambda: rollout_done(get(cluster, "web")))
    set_image(cluster, "web", "app:crash")
    restarts: list[int] = []

    def watch(event: WatchEvent) -> None:
        if event.rtype is PODS and event.object["spec"]["containers"][0]["image"] == "app:crash":
            for status in event.object.get("status", {}).get("containerStatuses", []):
                restarts.append(status["restartCount"])

    cluster.store.add_listener(watch)
    cluster.advance(200)
    crashing = [
        p for p in pods(cluster, "web") if p["spec"]["containers"][0]["image"] == "app:crash"
    ]
    status = crashing[0]["status"]
    container = status["containerStatuses"][0]
    assert status["phase"] == "Running"
    assert container["ready"] is False
    assert container["restartCount"] >= 4
    assert restarts == sorted(restarts)
    assert "terminated" in container["lastState"]
    assert condition(get(cluster, "web"), "Progressing")["reason"] == "ProgressDeadlineExceeded"
    old = [p for p in pods(cluster, "web") if p["spec"]["containers"][0]["image"] == "app:1"]
    assert len(old) == 2
    backoffs = [e for e in events(cluster) if e["reason"] == "BackOff"]
    assert backoffs and backoffs[0]["type"] == "Warning"
    assert backoffs[0]["message"].startswith("Back-off restarting failed container web in pod")
    assert backoffs[0]["count"] > 1


def test_paused_deployment_creates_no_replica_set_until_resumed() -> None:
    cluster = new_cluster()
    create(cluster, sample("web", replicas=2, image="app:1"))
    run_until(cluster, lambda: rollout_done(get(cluster, "web")))
    change(cluster, "web", lambda d: d["spec"].update(paused=True))
    progressing = condition(get(cluster, "web"), "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("Unknown", "DeploymentPaused")
    assert progressing["message"] == "Deployment is paused"
    set_image(cluster, "web", "app:2")
    cluster.advance(30)
    d = get(cluster, "web")
    assert len(replica_sets(cluster, "web")) == 1
    assert d["status"]["observedGeneration"] == d["metadata"]["generation"]
    change(cluster, "web", lambda d: d["spec"].update(paused=False))
    assert len(replica_sets(cluster, "web")) == 2
    run_until(cluster, lambda: rollout_done(get(cluster, "web")))
    assert condition(get(cluster, "web"), "Progressing")["reason"] == "NewReplicaSetAvailable"
    reasons = [e["message"] for e in events(cluster) if e["reason"] == "ScalingReplicaSet"]
    assert len(reasons) >= 3


def test_next_wake_is_always_in_the_future() -> None:
    cluster = new_cluster()
    cluster.images.set("app:crash", PodBehaviour.crash_loop())
    create(cluster, sample("web", replicas=2, image="app:crash", min_ready_seconds=5))
    for _ in range(50):
        wake = cluster.next_wake()
        assert wake is None or wake > cluster.clock.now()
        cluster.advance(7)
