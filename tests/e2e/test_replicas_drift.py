"""Two ``releasebot serve`` replicas on one PostgreSQL: the leader tells the channel about
changes made outside releasebot, and never about the other replica's deploys.

Whether a new revision is the bot's own is decided from what every replica sees (the
Deployment's ``releasebot/release-id`` annotation and revision, against the database), so it
holds for a deploy another replica made, and for a new leader after the old one died.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from bot.kube.sim.behaviour import PodBehaviour
from storage.models import ReleaseState
from tests.e2e.serve_process import Serve, World, world
from tests.leadership.conftest import pg_url, postgres_admin  # noqa: F401  (fixtures)
from tests.workflow.harness import image

KUBECTL = Path(sys.executable).parent / "kubectl"
NOTICE = "changed outside releasebot"


def notices(w: World) -> list[str]:
    return [m.text or "" for m in w.slack.messages if NOTICE in (m.text or "")]


def kubectl(w: World, *args: str) -> str:
    done = subprocess.run(
        [str(KUBECTL), "--kubeconfig", str(w.sim.kubeconfig), "-n", "default", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout.strip()


@pytest.mark.kubectl
def test_the_leader_is_silent_about_the_other_replicas_deploys_and_notices_kubectl_once(
    tmp_path: Path,
    pg_url: str,  # noqa: F811
) -> None:
    if not KUBECTL.exists():
        pytest.fail(f"kubectl is not installed at {KUBECTL}; run `uv sync`")
    with world(tmp_path, database_url=pg_url) as w:
        for n in (3, 4):
            w.sim.cluster.images.set(image(n), PodBehaviour.ready(after=0.2))
        leader = w.serve()  # first up, so it takes the leader lock
        replica, third = w.launch(), w.launch()  # started together: each start takes a while
        for started in (replica, third):
            w.wait_for(lambda s=started: healthy(s), what="a replica to serve", serve=started)

        # the other replica deploys twice to staging; the leader watches and says nothing
        for version, n in (("1.0.3", 3), ("1.0.4", 4)):
            assert w.build_hook(replica, version, n).status_code == 202
            w.wait_for(
                lambda v=version: any(
                    r.version == v and r.state is ReleaseState.SUCCEEDED for r in w.releases()
                ),
                what=f"{version} to succeed in staging",
                serve=replica,
            )

        # a person sets an image by hand: noticed once (the leader has, by then, seen the
        # bot's own two revisions on the same watch, in order)
        kubectl(w, "set", "image", "deployment/api", "api=registry.example.com/shop/api:hotfix")
        w.wait_for(lambda: notices(w), what="the notice about kubectl set image", serve=leader)
        assert len(notices(w)) == 1, notices(w)
        assert "hotfix" in notices(w)[0]

        # and rolls it back by hand: noticed once more, although the revision it restores
        # is one the bot once wrote
        kubectl(w, "rollout", "undo", "deployment/api")
        w.wait_for(lambda: len(notices(w)) >= 2, what="the notice about rollout undo")

        # the leader dies: the replica leads now, with nothing in its memory about a deploy
        # that a third replica makes
        old = leader_backend(pg_url)
        leader.kill()
        w.wait_for(
            lambda: leader_backend(pg_url) not in (None, old),
            what="the replica to take over",
            serve=replica,
        )
        w.sim.cluster.images.set(image(5), PodBehaviour.ready(after=0.2))
        assert w.build_hook(third, "1.0.5", 5).status_code == 202
        w.wait_for(
            lambda: any(
                r.version == "1.0.5" and r.state is ReleaseState.SUCCEEDED for r in w.releases()
            ),
            what="1.0.5 to succeed",
            serve=third,
        )
        kubectl(w, "set", "image", "deployment/api", "api=registry.example.com/shop/api:late")
        w.wait_for(lambda: len(notices(w)) >= 3, what="the notice about the late hotfix")
        assert len(notices(w)) == 3, notices(w)
        assert "late" in notices(w)[2]


def healthy(serve: Serve) -> bool:
    try:
        return httpx.get(f"{serve.url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def leader_backend(url: str) -> int | None:
    """The backend of the replica that holds the leader lock, if one does."""
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        row = connection.execute(
            "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted "
            "AND a.application_name = 'releasebot-leader' LIMIT 1"
        ).fetchone()
    return None if row is None else int(row[0])
