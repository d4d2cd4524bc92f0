from typing import Any

from bot.kube.drift import DriftDetector, OwnWrites
from bot.kube.models import ExternalChange
from bot.kube.watching import Change


def deployment(revision: int, image: str, release: str = "r1") -> dict[str, Any]:
    return {
        "metadata": {
            "name": "api",
            "annotations": {
                "deployment.kubernetes.io/revision": str(revision),
                "releasebot/release-id": release,
            },
        },
        "spec": {"template": {"spec": {"containers": [{"name": "api", "image": image}]}}},
    }


def test_a_revision_the_bot_did_not_write_is_external() -> None:
    detector = DriftDetector(OwnWrites(), {"api": "api"})
    detector.prime(deployment(1, "api:1"))
    # The template changes first; the controller records the new revision afterwards.
    template_moved = deployment(1, "api:hotfix")
    assert detector.on_change(Change("deployments", "MODIFIED", template_moved)) is None
    found = detector.on_change(Change("deployments", "MODIFIED", deployment(2, "api:hotfix")))
    assert found == ExternalChange("api", 1, 2, "api:1", "api:hotfix", "r1")


def test_the_bots_own_revision_is_not_external() -> None:
    own = OwnWrites()
    detector = DriftDetector(own, {"api": "api"})
    detector.prime(deployment(1, "api:1"))
    mine = deployment(2, "api:2", release="r2")
    own.expect("api", mine["spec"]["template"])
    assert detector.on_change(Change("deployments", "MODIFIED", mine)) is None


def test_other_deployments_are_ignored() -> None:
    detector = DriftDetector(OwnWrites(), {"web": "web"})
    detector.prime(deployment(1, "api:1"))
    assert detector.on_change(Change("deployments", "MODIFIED", deployment(2, "api:2"))) is None


def test_a_hand_made_return_to_a_template_the_bot_once_wrote_is_external() -> None:
    own = OwnWrites()
    detector = DriftDetector(own, {"api": "api"})
    detector.prime(deployment(1, "api:1"))
    mine = deployment(2, "api:2", release="r2")
    own.expect("api", mine["spec"]["template"])
    assert detector.on_change(Change("deployments", "MODIFIED", mine)) is None
    detector.on_change(Change("deployments", "MODIFIED", deployment(3, "api:hotfix", "r2")))
    back = detector.on_change(Change("deployments", "MODIFIED", deployment(4, "api:2", "r2")))
    assert back == ExternalChange("api", 3, 4, "api:hotfix", "api:2", "r2")
