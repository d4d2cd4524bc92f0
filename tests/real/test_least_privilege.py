"""Least privilege, proven by the real RBAC authorizer rather than the sim's reading of it.

deploy/rbac.yaml is applied to the real apiserver; the driver runs configured as in a pod
(KUBERNETES_SERVICE_HOST/PORT, a token file and the CA, ``in_cluster: true``) with a
ServiceAccount token from the TokenRequest API. Then each verb of the Role is dropped in turn,
and the driver's job shows which operation needs it, by a message that names it.
"""

from __future__ import annotations

import base64
import copy
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from kubernetes import client

from bot.kube.connection import ClusterConfig, Timeouts
from bot.kube.driver import Cluster
from bot.kube.errors import Forbidden, KubeError
from bot.kube.models import ExternalChange, RolloutSucceeded
from bot.kube.sim.behaviour import PodBehaviour
from bot.kube.sim.samples import deployment_manifest
from tests.conftest import KUBECTL
from tests.parity.scene import complete
from tests.real.backends import REPO
from tests.realcluster import ControlPlane
from tests.waiting import wait_until

pytestmark = pytest.mark.realcluster

ROOT = Path(__file__).resolve().parents[2]
SA_NAMESPACE, SA_NAME = "releasebot", "releasebot"
USER = f"system:serviceaccount:{SA_NAMESPACE}:{SA_NAME}"

Obj = dict[str, Any]


def rbac_documents(namespace: str, drop: tuple[str, str] | None = None) -> list[Obj]:
    """deploy/rbac.yaml for ``namespace``, less one (resource, verb) when ``drop`` says so."""
    docs = [d for d in yaml.safe_load_all((ROOT / "deploy" / "rbac.yaml").read_text()) if d]
    out = []
    for doc in copy.deepcopy(docs):
        if doc["kind"] in ("Role", "RoleBinding"):
            doc["metadata"]["namespace"] = namespace
        if doc["kind"] == "Role" and drop:
            for rule in doc["rules"]:
                if drop[0] in rule["resources"]:
                    others = [r for r in rule["resources"] if r != drop[0]]
                    if others:  # split the rule so only this resource loses the verb
                        doc["rules"].append({**rule, "resources": others})
                    rule["resources"] = [drop[0]]
                    rule["verbs"] = [v for v in rule["verbs"] if v != drop[1]]
        out.append(doc)
    return out


def role_verbs() -> list[tuple[str, str]]:
    docs = yaml.safe_load_all((ROOT / "deploy" / "rbac.yaml").read_text())
    (role,) = [d for d in docs if d and d["kind"] == "Role"]
    return [
        (res, verb) for rule in role["rules"] for res in rule["resources"] for verb in rule["verbs"]
    ]


def apply(plane: ControlPlane, docs: list[Obj]) -> None:
    subprocess.run(
        [str(KUBECTL), "--kubeconfig", str(plane.kubeconfig), "apply", "-f", "-"],
        input=yaml.safe_dump_all(docs),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )


def pod_credentials(plane: ControlPlane, directory: Path) -> dict[str, str]:
    """The service-account files a kubelet would mount, and the environment it would set."""
    token = client.CoreV1Api(plane.api).create_namespaced_service_account_token(
        SA_NAME, SA_NAMESPACE, {"spec": {"expirationSeconds": 3600}}
    )
    kubeconfig = yaml.safe_load(plane.kubeconfig.read_text())
    ca = base64.b64decode(kubeconfig["clusters"][0]["cluster"]["certificate-authority-data"])
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "token").write_text(token.status.token)
    (directory / "ca.crt").write_bytes(ca)
    url = urlsplit(plane.url)
    return {"KUBERNETES_SERVICE_HOST": str(url.hostname), "KUBERNETES_SERVICE_PORT": str(url.port)}


@pytest.fixture
def scene(
    control_plane: ControlPlane, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Callable[[tuple[str, str] | None], Cluster]]]:
    if not KUBECTL.exists():
        pytest.skip(f"kubectl is not installed at {KUBECTL}; run `uv sync`")
    plane = control_plane
    plane.clear_images()
    plane.set_image(f"{REPO}:*", PodBehaviour.ready(after=0.2))
    namespace = plane.new_namespace("lp")
    core = client.CoreV1Api(plane.api)
    if SA_NAMESPACE not in {n.metadata.name for n in core.list_namespace().items}:
        core.create_namespace({"metadata": {"name": SA_NAMESPACE}})
    apps = client.AppsV1Api(plane.api)
    apps.create_namespaced_deployment(
        namespace, deployment_manifest("web", image=f"{REPO}:1", replicas=2)
    )
    wait_until(
        lambda: complete(
            plane.api.sanitize_for_serialization(apps.read_namespaced_deployment("web", namespace))
        ),
        what="web to roll out",
        timeout=30,
    )
    drivers: list[Cluster] = []

    def driver_with(drop: tuple[str, str] | None) -> Cluster:
        apply(plane, rbac_documents(namespace, drop))
        env = pod_credentials(plane, tmp_path / "serviceaccount")
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        cluster = Cluster.connect(
            ClusterConfig(in_cluster=True, service_account_dir=str(tmp_path / "serviceaccount")),
            namespace,
            timeouts=Timeouts(connect=2.0, read=10.0),
        )
        drivers.append(cluster)
        return cluster

    try:
        yield namespace, driver_with
    finally:
        for d in drivers:
            d.close()


def change_by_hand(plane: ControlPlane, namespace: str, image: str) -> None:
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": image}]}}}}
    client.AppsV1Api(plane.api).patch_namespaced_deployment("web", namespace, patch)


def the_job(driver: Cluster, plane: ControlPlane, namespace: str) -> list[tuple[str, str]]:
    """The driver's whole job, step by step; returns (step, message) for each refusal."""
    refused: list[tuple[str, str]] = []

    def step(name: str, action: Callable[[], object]) -> None:
        try:
            action()
        except Forbidden as err:
            refused.append((name, str(err)))
        except KubeError:
            pass  # a knock-on effect of an earlier refusal (nothing deployed, nothing to undo)

    step("state", lambda: driver.state("web"))
    step("history", lambda: driver.history("web"))
    step(
        "deploy",
        lambda: driver.deploy("web", image=f"{REPO}:2", change_cause="v2", release_id="r2"),
    )
    step("watch_rollout", lambda: list(driver.watch_rollout("web", timeout=30)))
    step("undo", lambda: driver.undo("web"))
    step("pause", lambda: driver.pause("web"))
    step("resume", lambda: driver.resume("web"))

    def notice() -> None:
        changes = driver.external_changes(["web"])
        change_by_hand(plane, namespace, f"{REPO}:9")
        seen = next(changes)
        assert isinstance(seen, ExternalChange) and seen.new_image == f"{REPO}:9"

    step("external_changes", notice)
    return refused


def test_the_whole_job_needs_nothing_beyond_the_role(
    control_plane: ControlPlane, scene: tuple[str, Callable[[tuple[str, str] | None], Cluster]]
) -> None:
    namespace, driver_with = scene
    driver = driver_with(None)
    assert driver.conn.label == "in-cluster"
    result = driver.deploy("web", image=f"{REPO}:2", change_cause="v2", release_id="r2")
    assert result.changed
    events = list(driver.watch_rollout("web", timeout=30))
    assert isinstance(events[-1], RolloutSucceeded)
    assert the_job(driver_with(None), control_plane, namespace) == []


def test_outside_its_namespaces_the_bot_is_refused_by_name(
    scene: tuple[str, Callable[[tuple[str, str] | None], Cluster]],
) -> None:
    _, driver_with = scene
    with pytest.raises(Forbidden) as caught:
        driver_with(None).in_namespace("default").state("web")
    message = str(caught.value)
    assert f'User "{USER}" cannot get resource "deployments"' in message
    assert 'in the namespace "default"' in message


# Which step first needs each verb of the Role. None: no step of the driver uses it.
NEEDED_BY: dict[tuple[str, str], str | None] = {
    ("deployments", "get"): "state",
    ("deployments", "list"): "watch_rollout",
    ("deployments", "watch"): "watch_rollout",
    ("deployments", "patch"): "deploy",
    ("replicasets", "get"): None,
    ("replicasets", "list"): "history",
    ("replicasets", "watch"): "watch_rollout",
    ("pods", "get"): None,
    ("pods", "list"): "watch_rollout",
    ("pods", "watch"): "watch_rollout",
    ("events", "get"): None,
    ("events", "list"): None,
    ("events", "watch"): None,
    ("leases", "get"): None,
    ("leases", "create"): None,
    ("leases", "update"): None,
}


def test_the_table_covers_every_verb_of_the_role() -> None:
    assert sorted(NEEDED_BY) == sorted(role_verbs())


@pytest.mark.parametrize("dropped", list(NEEDED_BY), ids=lambda d: f"{d[0]}-{d[1]}")
def test_dropping_a_verb_fails_the_step_that_needs_it_naming_the_permission(
    control_plane: ControlPlane,
    scene: tuple[str, Callable[[tuple[str, str] | None], Cluster]],
    dropped: tuple[str, str],
) -> None:
    namespace, driver_with = scene
    refused = the_job(driver_with(dropped), control_plane, namespace)
    resource, verb = dropped
    expected = NEEDED_BY[dropped]
    if expected is None:
        assert refused == [], f"{verb} {resource} is granted but unused, yet: {refused}"
        return
    assert refused, f"nothing failed without {verb} {resource}"
    first_step, message = refused[0]
    assert first_step == expected, refused
    assert f'User "{USER}" cannot {verb} resource "{resource}"' in message, message
    assert f'in the namespace "{namespace}"' in message
