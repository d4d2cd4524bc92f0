"""kill -9 ``releasebot serve`` mid-rollout and start it again (SECURITY.md): it resumes
watching, never patches twice, ends the release and frees the lock, also when the rollout
can only fail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.kube.sim.behaviour import PodBehaviour
from bot.kube.sim.store import WatchEvent
from storage.models import Release, ReleaseKind, ReleaseState
from tests.e2e.serve_process import Serve, World, world
from tests.leadership.conftest import pg_url, postgres_admin  # noqa: F401  (fixtures)
from tests.workflow.harness import image

RELEASE_ID = "releasebot/release-id"


class Generations:
    """Every generation the Deployment ``default/api`` has had: one per change of its spec."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def __call__(self, event: WatchEvent) -> None:
        meta = event.object.get("metadata", {})
        if event.rtype.plural != "deployments" or meta.get("name") != "api":
            return
        if meta.get("namespace") != "default":
            return
        generation = int(meta.get("generation", 0))
        if generation not in self.seen:
            self.seen.append(generation)


def rolling_out_and_patched(w: World, serve: Serve, version: str) -> Release:
    def patched() -> Release | None:
        for release in w.releases():
            if release.version != version or release.state is not ReleaseState.ROLLING_OUT:
                continue
            annotations = w.deployment()["metadata"].get("annotations", {})
            if annotations.get(RELEASE_ID) == str(release.id):
                return release
        return None

    return w.wait_for(patched, what=f"{version} rolling out and patched", serve=serve)


def state_of(w: World, release_id: Any) -> ReleaseState | None:
    for release in w.releases():
        if release.id == release_id:
            return release.state
    return None


def test_kill_9_mid_rollout_then_restart_resumes_and_finishes_once(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.sim.cluster.images.set(image(3), PodBehaviour.ready(after=4))
        generations = Generations()
        w.sim.cluster.store.add_listener(generations)
        first = w.serve()
        assert w.build_hook(first, "1.0.3", 3).status_code < 300
        release = rolling_out_and_patched(w, first, "1.0.3")
        assert w.deployment()["status"].get("readyReplicas", 0) >= 0
        first.kill()
        assert first.process.returncode == -9
        assert state_of(w, release.id) is ReleaseState.ROLLING_OUT
        patched_at = w.deployment()["metadata"]["generation"]

        second = w.serve()
        w.wait_for(
            lambda: state_of(w, release.id) is ReleaseState.SUCCEEDED,
            what="the resumed release to succeed",
            serve=second,
            timeout=90,
        )
        assert w.deployment()["metadata"]["generation"] == patched_at == 2
        assert generations.seen == [1, 2], "the Deployment's spec changed more than once"
        assert len(w.replica_sets()) == 2
        container = w.deployment()["spec"]["template"]["spec"]["containers"][0]
        assert container["image"].endswith(image(3).split("@")[1])

        # the lock is free: the next build deploys
        assert w.build_hook(second, "1.0.4", 4).status_code < 300
        nxt = rolling_out_and_patched(w, second, "1.0.4")
        w.wait_for(
            lambda: state_of(w, nxt.id) is ReleaseState.SUCCEEDED,
            what="the next release to succeed",
            serve=second,
            timeout=90,
        )
        assert second.terminate() == 0, second.tail()


def test_kill_9_on_a_rollout_that_cannot_finish_fails_it_after_the_deadline(
    tmp_path: Path,
) -> None:
    with world(tmp_path, progress_deadline_seconds=8) as w:
        w.sim.cluster.images.set(image(5), PodBehaviour.unready())
        first = w.serve()
        assert w.build_hook(first, "1.0.5", 5).status_code < 300
        release = rolling_out_and_patched(w, first, "1.0.5")
        first.kill()
        assert state_of(w, release.id) is ReleaseState.ROLLING_OUT

        second = w.serve()
        w.wait_for(
            lambda: state_of(w, release.id) is ReleaseState.ROLLED_BACK,
            what="the stuck release to fail and be rolled back",
            serve=second,
            timeout=120,
        )
        [rollback] = [r for r in w.releases() if r.kind is ReleaseKind.ROLLBACK]
        assert rollback.state is ReleaseState.SUCCEEDED
        [failed] = [r for r in w.releases() if r.id == release.id]
        assert failed.error and "deadline" in failed.error.lower()
        container = w.deployment()["spec"]["template"]["spec"]["containers"][0]
        assert container["image"].endswith(image(15).split("@")[1])

        # the lock is free again
        assert w.build_hook(second, "1.0.6", 6).status_code < 300
        rolling_out_and_patched(w, second, "1.0.6")
        assert second.interrupt() == 0, second.tail()
        assert "stopped" in second.tail()


def test_two_replicas_on_postgresql_survive_kill_9_of_either(
    tmp_path: Path,
    pg_url: str,  # noqa: F811
) -> None:
    """A killed replica's rollout is adopted by the leader; a killed leader is replaced by the
    other replica, which resumes the rollout the leader was following. Each Deployment patch
    happens once."""
    with world(tmp_path, database_url=pg_url) as w:
        w.sim.cluster.images.set(image(3), PodBehaviour.ready(after=4))
        w.sim.cluster.images.set(image(4), PodBehaviour.ready(after=4))
        generations = Generations()
        w.sim.cluster.store.add_listener(generations)
        leader = w.serve()  # first up, so it takes the leader lock
        replica = w.serve()

        # the replica (not the leader) starts a rollout and dies: the leader adopts it
        assert w.build_hook(replica, "1.0.3", 3).status_code < 300
        first = rolling_out_and_patched(w, replica, "1.0.3")
        replica.kill()
        assert state_of(w, first.id) is ReleaseState.ROLLING_OUT
        w.wait_for(
            lambda: state_of(w, first.id) is ReleaseState.SUCCEEDED,
            what="the leader to adopt and finish the dead replica's rollout",
            serve=leader,
            timeout=90,
        )

        # the leader starts one and dies: a new replica becomes leader and resumes it
        successor = w.serve()
        assert w.build_hook(leader, "1.0.4", 4).status_code < 300
        second = rolling_out_and_patched(w, leader, "1.0.4")
        leader.kill()
        assert state_of(w, second.id) is ReleaseState.ROLLING_OUT
        w.wait_for(
            lambda: state_of(w, second.id) is ReleaseState.SUCCEEDED,
            what="the new leader to resume and finish the old leader's rollout",
            serve=successor,
            timeout=90,
        )

        assert generations.seen == [1, 2, 3], "a Deployment patch was repeated"
        assert len(w.replica_sets()) == 3
        assert successor.terminate() == 0, successor.tail()
