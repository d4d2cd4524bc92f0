"""Changes made behind the bot's back (a person with kubectl) are noticed; its own are not."""

import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.kube.driver import Cluster
from bot.kube.models import ExternalChange

from .conftest import NAMESPACE, settle

KUBECTL = Path(sys.executable).parent / "kubectl"


def kubectl(sim: Any, *args: str) -> str:
    done = subprocess.run(
        [str(KUBECTL), "--kubeconfig", str(sim.kubeconfig), "-n", NAMESPACE, *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout.strip()


@pytest.mark.kubectl
def test_kubectl_by_hand_is_an_external_change_and_the_bots_deploy_is_not(
    sim: Any, driver: Cluster, create_deployment: Callable[..., Any]
) -> None:
    if not KUBECTL.exists():
        pytest.fail(f"kubectl is not installed at {KUBECTL}; run `uv sync`")
    create_deployment("api", "shop/api:1")
    settle(sim)
    found: queue.Queue[ExternalChange] = queue.Queue()
    changes = driver.external_changes(["api"])

    def pump() -> None:
        for change in changes:
            found.put(change)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    driver.deploy("api", image="shop/api:2", change_cause="deploy 2", release_id="r2")
    settle(sim)
    kubectl(sim, "set", "image", "deployment/api", "api=shop/api:hotfix")
    settle(sim)
    change = found.get(timeout=5)
    assert change == ExternalChange("api", 2, 3, "shop/api:2", "shop/api:hotfix", "r2")
    assert kubectl(sim, "rollout", "undo", "deployment/api") == "deployment.apps/api rolled back"
    settle(sim)
    change = found.get(timeout=5)
    assert (change.old_revision, change.new_revision) == (3, 4)
    assert (change.old_image, change.new_image) == ("shop/api:hotfix", "shop/api:2")
    assert found.empty()
