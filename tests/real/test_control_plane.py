"""The control plane itself: the real components answer, and it leaves nothing behind."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from kubernetes import client

from tests.conftest import KUBECTL
from tests.realcluster import ControlPlane, missing_reason, run_control_plane

pytestmark = pytest.mark.realcluster


def test_kubectl_reaches_the_real_apiserver_with_the_admin_kubeconfig(
    control_plane: ControlPlane,
) -> None:
    version = subprocess.run(
        [str(KUBECTL), "--kubeconfig", str(control_plane.kubeconfig), "version", "-o", "json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    server = json.loads(version.stdout)["serverVersion"]
    assert server["gitVersion"].startswith("v1.37"), server


def test_rbac_is_the_authorizer(control_plane: ControlPlane) -> None:
    review = client.AuthorizationV1Api(control_plane.api).create_subject_access_review(
        {
            "spec": {
                "user": "system:serviceaccount:nowhere:nobody",
                "resourceAttributes": {"verb": "get", "resource": "deployments", "group": "apps"},
            }
        }
    )
    assert review.status.allowed is False
    roles = client.RbacAuthorizationV1Api(control_plane.api).read_cluster_role("cluster-admin")
    assert roles.metadata.name == "cluster-admin", "the bootstrap RBAC policy is in place"


def test_sigterm_stops_it_and_removes_its_folder(tmp_path: Path) -> None:
    if reason := missing_reason():
        pytest.skip(reason)
    with run_control_plane(tmp_path) as plane:
        assert plane.tmpdir.is_dir()
        assert (plane.tmpdir / "etcd").is_dir()
        assert plane.startup < 60
        folder = plane.tmpdir
    assert not folder.exists()
    assert "controlplane: stopping" in (tmp_path / "controlplane.log").read_text()
