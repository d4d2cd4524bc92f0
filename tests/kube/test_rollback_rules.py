from typing import Any

import pytest

from bot.kube.errors import RolloutRefused
from bot.kube.rollback import find_revision, kept_annotations, template_without_hash


def rs(revision: int | None, image: str = "api:1") -> dict[str, Any]:
    annotations = {} if revision is None else {"deployment.kubernetes.io/revision": str(revision)}
    return {
        "metadata": {"name": f"api-{revision}", "annotations": annotations},
        "spec": {
            "template": {
                "metadata": {"labels": {"app": "api", "pod-template-hash": "abc"}},
                "spec": {"containers": [{"name": "api", "image": image}]},
            }
        },
    }


def test_default_target_is_the_second_highest_revision() -> None:
    sets = [rs(3), rs(1), rs(None), rs(5), rs(4)]
    assert find_revision(sets, "api", 0)["metadata"]["name"] == "api-4"


def test_explicit_revision_is_found() -> None:
    assert find_revision([rs(1), rs(2)], "api", 1)["metadata"]["name"] == "api-1"


def test_unknown_revision_uses_kubectls_words() -> None:
    with pytest.raises(RolloutRefused, match=r"^unable to find specified revision 7 in history$"):
        find_revision([rs(1), rs(2)], "api", 7)


def test_single_revision_has_no_history_to_roll_back_to() -> None:
    with pytest.raises(RolloutRefused, match=r'^no rollout history found for deployment "api"$'):
        find_revision([rs(1)], "api", 0)


def test_restored_template_loses_only_the_hash_label() -> None:
    template = template_without_hash(rs(2))
    assert template["metadata"]["labels"] == {"app": "api"}
    assert template["spec"]["containers"][0]["image"] == "api:1"


def test_annotations_come_from_the_replica_set_except_the_ones_kubectl_keeps() -> None:
    deployment = {
        "metadata": {
            "annotations": {
                "deployment.kubernetes.io/revision": "5",
                "kubernetes.io/change-cause": "deploy 1.5",
                "releasebot/release-id": "r5",
                "kubectl.kubernetes.io/last-applied-configuration": "{}",
            }
        }
    }
    replica_set = {
        "metadata": {
            "annotations": {
                "deployment.kubernetes.io/revision": "2",
                "deployment.kubernetes.io/desired-replicas": "3",
                "kubernetes.io/change-cause": "deploy 1.2",
                "releasebot/release-id": "r2",
            }
        }
    }
    assert kept_annotations(deployment, replica_set) == {
        "deployment.kubernetes.io/revision": "5",
        "kubectl.kubernetes.io/last-applied-configuration": "{}",
        "kubernetes.io/change-cause": "deploy 1.2",
        "releasebot/release-id": "r2",
    }
