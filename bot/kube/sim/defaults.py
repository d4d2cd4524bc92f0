"""What the API server fills in on write (`pkg/apis/apps/v1/defaults.go`, core v1 defaults).

Only the fields that change behaviour or what clients read back; both templates being
compared by the deployment controller (and by `kubectl rollout undo`) are defaulted alike.
"""

from __future__ import annotations

from bot.kube.sim.store import Obj


def default_pod_spec(spec: Obj) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for container in [*spec.get("initContainers", []), *spec.get("containers", [])]:
        if not isinstance(container, dict):
            continue
        container.setdefault("terminationMessagePath", "/dev/termination-log")
        container.setdefault("terminationMessagePolicy", "File")
        container.setdefault("resources", {})
        if "imagePullPolicy" not in container:
            image = str(container.get("image", ""))
            tag = image.rsplit("/", 1)[-1]
            latest = "@" not in tag and (":" not in tag or tag.endswith(":latest"))
            container["imagePullPolicy"] = "Always" if latest else "IfNotPresent"
        for port in container.get("ports", []) or []:
            if isinstance(port, dict):
                port.setdefault("protocol", "TCP")


def default_template(template: Obj) -> None:
    if isinstance(template.get("spec"), dict):
        default_pod_spec(template["spec"])


def default_deployment(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.get("rollingUpdate")
        if rolling is None:
            rolling = strategy["rollingUpdate"] = {}
        rolling.setdefault("maxUnavailable", "25%")
        rolling.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    if isinstance(spec.get("template"), dict):
        default_template(spec["template"])


def default_replicaset(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    if isinstance(spec.get("template"), dict):
        default_template(spec["template"])


def default_pod(obj: Obj) -> None:
    default_pod_spec(obj.setdefault("spec", {}))
    status = obj.setdefault("status", {})
    status.setdefault("phase", "Pending")
    status.setdefault("qosClass", "BestEffort")
