"""What the simulated API server fills in and refuses, in the real server's words."""

from __future__ import annotations

from typing import Any

import pytest

from bot.kube.sim.registry import admit
from bot.kube.sim.resources import DEPLOYMENTS, EVENTS, PODS, REPLICASETS
from bot.kube.sim.samples import deployment_manifest
from bot.kube.sim.store import Invalid


def _refusal(obj: dict[str, Any], old: dict[str, Any] | None = None) -> Invalid:
    with pytest.raises(Invalid) as caught:
        admit(DEPLOYMENTS, obj, old)
    return caught.value


def test_deployment_defaults() -> None:
    admitted = admit(DEPLOYMENTS, deployment_manifest("web", replicas=None, image="app"), None)
    spec = admitted["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
    }
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Always"
    assert pod["dnsPolicy"] == "ClusterFirst"
    assert pod["terminationGracePeriodSeconds"] == 30
    container = pod["containers"][0]
    assert container["imagePullPolicy"] == "Always"
    assert container["terminationMessagePath"] == "/dev/termination-log"


def test_defaults_keep_what_the_client_set() -> None:
    manifest = deployment_manifest("web", image="app:1.0", max_surge=0, max_unavailable=1)
    admitted = admit(DEPLOYMENTS, manifest, None)
    assert admitted["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 0, "maxUnavailable": 1}
    assert admitted["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == (
        "IfNotPresent"
    )
    recreate = admit(DEPLOYMENTS, deployment_manifest("web", strategy="Recreate"), None)
    assert recreate["spec"]["strategy"] == {"type": "Recreate"}


def test_zero_surge_and_zero_unavailable_is_refused() -> None:
    error = _refusal(deployment_manifest("web", max_surge=0, max_unavailable=0))
    assert error.code == 422
    assert str(error) == (
        'Deployment.apps "web" is invalid: spec.strategy.rollingUpdate.maxUnavailable: '
        "Invalid value: 0: may not be 0 when `maxSurge` is 0"
    )
    assert error.causes == [
        {
            "reason": "FieldValueInvalid",
            "message": "Invalid value: 0: may not be 0 when `maxSurge` is 0",
            "field": "spec.strategy.rollingUpdate.maxUnavailable",
        }
    ]
    percent = _refusal(deployment_manifest("web", max_surge="0%", max_unavailable="0%"))
    assert 'Invalid value: "0%": may not be 0 when `maxSurge` is 0' in str(percent)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"replicas": -1}, "spec.replicas: Invalid value: -1: must be greater than or equal to 0"),
        (
            {"minReadySeconds": 700},
            "spec.progressDeadlineSeconds: Invalid value: 600: must be greater than "
            "minReadySeconds",
        ),
        (
            {"revisionHistoryLimit": -2},
            "spec.revisionHistoryLimit: Invalid value: -2: must be greater than or equal to 0",
        ),
        (
            {"strategy": {"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}},
            "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy "
            "`type` is 'Recreate'",
        ),
        (
            {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "110%"}}},
            'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "110%": must not be '
            "greater than 100%",
        ),
        (
            {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": -1}}},
            "spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than "
            "or equal to 0",
        ),
        (
            {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "20Percent"}}},
            'spec.strategy.rollingUpdate.maxSurge: Invalid value: "20Percent": a valid percent '
            "string must be",
        ),
        (
            {"selector": {"matchLabels": {"app": "other"}}},
            'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: '
            "`selector` does not match template `labels`",
        ),
        ({"selector": None}, "spec.selector: Required value"),
    ],
)
def test_invalid_specs_are_refused_with_the_real_wording(
    changes: dict[str, Any], expected: str
) -> None:
    manifest = deployment_manifest("web", image="app:1")
    for key, value in changes.items():
        if value is None:
            manifest["spec"].pop(key)
        else:
            manifest["spec"][key] = value
    error = _refusal(manifest)
    assert expected in str(error)
    assert str(error).startswith('Deployment.apps "web" is invalid: ')


def test_several_errors_are_listed_together() -> None:
    manifest = deployment_manifest("web", replicas=-1, max_surge=0, max_unavailable=0)
    error = _refusal(manifest)
    assert str(error).startswith('Deployment.apps "web" is invalid: [spec.replicas: ')
    assert len(error.causes) == 2


def test_missing_image_and_containers_are_required() -> None:
    manifest = deployment_manifest("web")
    manifest["spec"]["template"]["spec"]["containers"][0].pop("image")
    assert "spec.template.spec.containers[0].image: Required value" in str(_refusal(manifest))
    manifest["spec"]["template"]["spec"]["containers"] = []
    assert "spec.template.spec.containers: Required value" in str(_refusal(manifest))


def test_selector_is_immutable_on_update() -> None:
    old = admit(DEPLOYMENTS, deployment_manifest("web"), None)
    new = deployment_manifest("web", labels={"app": "web", "track": "canary"})
    error = _refusal(new, old)
    assert "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:" in str(error)
    assert str(error).endswith("field is immutable")
    same = deployment_manifest("web", image="app:2")
    assert admit(DEPLOYMENTS, same, old)["spec"]["template"]["spec"]["containers"][0]["image"] == (
        "app:2"
    )


def test_bad_name_is_refused() -> None:
    error = _refusal(deployment_manifest("Web_1"))
    assert 'metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 subdomain' in str(error)


def test_replica_sets_and_pods_get_minimal_defaults() -> None:
    manifest = deployment_manifest("web")
    rs = {
        "metadata": {"name": "web-1"},
        "spec": {k: manifest["spec"][k] for k in ("selector", "template")},
    }
    assert admit(REPLICASETS, rs, None)["spec"]["replicas"] == 1
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i:1"}]}}
    admitted = admit(PODS, pod, None)
    assert admitted["spec"]["restartPolicy"] == "Always"
    assert admitted["status"]["phase"] == "Pending"
    with pytest.raises(Invalid):
        admit(PODS, {"metadata": {"name": "p"}, "spec": {}}, None)
    event = {"metadata": {"name": "e"}}
    assert admit(EVENTS, event, None) is event
