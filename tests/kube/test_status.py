from typing import Any

import pytest

from bot.kube.models import ReplicaCounts, Strategy, Verdict
from bot.kube.status import replica_counts, rollout_status, strategy


def deployment(
    *,
    generation: int = 2,
    observed: int = 2,
    replicas: int = 3,
    updated: int = 3,
    total: int = 3,
    available: int = 3,
    ready: int = 3,
    reason: str | None = "NewReplicaSetAvailable",
) -> dict[str, Any]:
    status: dict[str, Any] = {
        "observedGeneration": observed,
        "replicas": total,
        "updatedReplicas": updated,
        "availableReplicas": available,
        "readyReplicas": ready,
    }
    if reason:
        status["conditions"] = [{"type": "Progressing", "status": "True", "reason": reason}]
    return {
        "metadata": {"name": "api", "generation": generation},
        "spec": {"replicas": replicas},
        "status": status,
    }


W = 'Waiting for deployment "api" rollout to finish: '


@pytest.mark.parametrize(
    ("obj", "verdict", "message"),
    [
        (
            deployment(generation=3, observed=2),
            Verdict.WAITING,
            "Waiting for deployment spec update to be observed...",
        ),
        (
            deployment(generation=3, observed=2, reason="ProgressDeadlineExceeded"),
            Verdict.WAITING,
            "Waiting for deployment spec update to be observed...",
        ),
        (
            deployment(reason="ProgressDeadlineExceeded", updated=1),
            Verdict.FAILED,
            'deployment "api" exceeded its progress deadline',
        ),
        (
            deployment(updated=1, total=4),
            Verdict.WAITING,
            W + "1 out of 3 new replicas have been updated...",
        ),
        (
            deployment(updated=3, total=4),
            Verdict.WAITING,
            W + "1 old replicas are pending termination...",
        ),
        (
            deployment(updated=3, total=3, available=2),
            Verdict.WAITING,
            W + "2 of 3 updated replicas are available...",
        ),
        (deployment(), Verdict.SUCCEEDED, 'deployment "api" successfully rolled out'),
        (
            deployment(generation=1, observed=5, reason=None),
            Verdict.SUCCEEDED,
            'deployment "api" successfully rolled out',
        ),
        (
            deployment(replicas=0, updated=0, total=0, available=0),
            Verdict.SUCCEEDED,
            'deployment "api" successfully rolled out',
        ),
    ],
)
def test_kubectl_rollout_status_rules(obj: dict[str, Any], verdict: Verdict, message: str) -> None:
    status = rollout_status(obj)
    assert (status.verdict, status.message) == (verdict, message)
    assert status.done == (verdict is not Verdict.WAITING)


def test_replica_counts_report_old_pods_pending_termination() -> None:
    counts = replica_counts(deployment(updated=2, total=4, available=3, ready=3))
    assert counts == ReplicaCounts(
        desired=3, updated=2, ready=3, available=3, total=4, old_pending_termination=2
    )


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"replicas": 3}, Strategy("RollingUpdate", 1, 0, 0, 600)),
        ({"replicas": 10}, Strategy("RollingUpdate", 3, 2, 0, 600)),
        (
            {
                "replicas": 4,
                "minReadySeconds": 10,
                "progressDeadlineSeconds": 60,
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": "50%", "maxUnavailable": 0},
                },
            },
            Strategy("RollingUpdate", 2, 0, 10, 60),
        ),
        (
            {
                "replicas": 1,
                "strategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": "10%"}},
            },
            Strategy("RollingUpdate", 0, 1, 0, 600),
        ),
        ({"replicas": 2, "strategy": {"type": "Recreate"}}, Strategy("Recreate", 0, 2, 0, 600)),
    ],
)
def test_strategy_resolves_percentages_like_the_controller(
    spec: dict[str, Any], expected: Strategy
) -> None:
    assert strategy({"spec": spec}) == expected
