"""Deployment, ReplicaSet and Pod validation as `pkg/apis/apps/validation` words it.

Each problem is a field error rendered exactly like apimachinery's ``field.Error``
(``spec.replicas: Invalid value: -1: must be greater than or equal to 0``), so a client
sees the same 422 text it would get from a real API server.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.kube.sim.meta import selector_matches
from bot.kube.sim.store import Obj

_REASONS = {
    "Invalid": "FieldValueInvalid",
    "Required": "FieldValueRequired",
    "Forbidden": "FieldValueForbidden",
    "NotSupported": "FieldValueNotSupported",
    "Duplicate": "FieldValueDuplicate",
}
_PERCENT = re.compile(r"^[0-9]+%$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
PERCENT_MESSAGE = (
    "a valid percent string must be a numeric string followed by an ending '%' "
    "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"
)
SUBDOMAIN_MESSAGE = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
    "regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)


def render(value: Any) -> str:
    """How Go's %#v-ish rendering in field errors shows a value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if value is None:
        return "null"
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        pairs = ", ".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in sorted(value.items()))
        return f"map[string]string{{{pairs}}}"
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def render_selector(selector: Obj) -> str:
    labels = render(selector.get("matchLabels") or {})
    expressions = selector.get("matchExpressions")
    exprs = (
        "[]v1.LabelSelectorRequirement(nil)"
        if not expressions
        else json.dumps(expressions, sort_keys=True, separators=(",", ":"))
    )
    return f"v1.LabelSelector{{MatchLabels:{labels}, MatchExpressions:{exprs}}}"


@dataclass(frozen=True)
class FieldError:
    kind: str
    field: str
    detail: str = ""
    value: str = ""

    @property
    def body(self) -> str:
        if self.kind == "Invalid":
            return f"Invalid value: {self.value}: {self.detail}"
        if self.kind == "NotSupported":
            return f"Unsupported value: {self.value}: supported values: {self.detail}"
        if self.kind == "Duplicate":
            return f"Duplicate value: {self.value}"
        label = {"Required": "Required value", "Forbidden": "Forbidden"}[self.kind]
        return f"{label}: {self.detail}" if self.detail else label

    def __str__(self) -> str:
        return f"{self.field}: {self.body}"

    def cause(self) -> Obj:
        return {"reason": _REASONS[self.kind], "message": self.body, "field": self.field}


def invalid(path: str, value: Any, detail: str) -> FieldError:
    return FieldError("Invalid", path, detail, render(value))


def _nonnegative(value: Any, path: str) -> list[FieldError]:
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return [invalid(path, value, "must be greater than or equal to 0")]
    return []


def _percent_value(value: Any) -> tuple[int, bool]:
    if isinstance(value, str) and _PERCENT.match(value):
        return int(value[:-1]), True
    return 0, False


def _int_or_percent_value(value: Any) -> int:
    number, is_percent = _percent_value(value)
    if is_percent:
        return number
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        return 0


def _positive_int_or_percent(value: Any, path: str) -> list[FieldError]:
    if isinstance(value, str):
        return [] if _PERCENT.match(value) else [invalid(path, value, PERCENT_MESSAGE)]
    if isinstance(value, int):
        return _nonnegative(value, path)
    return [invalid(path, value, "must be an integer or percentage (e.g '5%')")]


def validate_strategy(strategy: Obj, path: str) -> list[FieldError]:
    kind = strategy.get("type")
    rolling = strategy.get("rollingUpdate")
    if kind == "Recreate":
        if rolling is not None:
            detail = "may not be specified when strategy `type` is 'Recreate'"
            return [FieldError("Forbidden", f"{path}.rollingUpdate", detail)]
        return []
    if kind != "RollingUpdate":
        return [FieldError("NotSupported", path, '"Recreate", "RollingUpdate"', render(kind))]
    if rolling is None:
        detail = "this should be defaulted and never be nil"
        return [FieldError("Required", f"{path}.rollingUpdate", detail)]
    rpath = f"{path}.rollingUpdate"
    unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
    errors = _positive_int_or_percent(unavailable, f"{rpath}.maxUnavailable")
    errors += _positive_int_or_percent(surge, f"{rpath}.maxSurge")
    if _int_or_percent_value(unavailable) == 0 and _int_or_percent_value(surge) == 0:
        detail = "may not be 0 when `maxSurge` is 0"
        errors.append(invalid(f"{rpath}.maxUnavailable", unavailable, detail))
    number, is_percent = _percent_value(unavailable)
    if is_percent and number > 100:
        errors.append(
            invalid(f"{rpath}.maxUnavailable", unavailable, "must not be greater than 100%")
        )
    return errors


def validate_pod_spec(spec: Obj, path: str) -> list[FieldError]:
    containers = spec.get("containers")
    if not containers:
        return [FieldError("Required", f"{path}.containers")]
    errors: list[FieldError] = []
    seen: set[str] = set()
    for i, container in enumerate(containers):
        cpath = f"{path}.containers[{i}]"
        name = container.get("name") if isinstance(container, dict) else None
        if not name:
            errors.append(FieldError("Required", f"{cpath}.name"))
        elif name in seen:
            errors.append(FieldError("Duplicate", f"{cpath}.name", value=render(name)))
        else:
            seen.add(name)
        if not isinstance(container, dict) or not container.get("image"):
            errors.append(FieldError("Required", f"{cpath}.image"))
    return errors


def validate_template_for_replicas(
    template: Obj | None, selector: Obj | None, path: str
) -> list[FieldError]:
    if not isinstance(template, dict):
        return [FieldError("Required", path)]
    errors: list[FieldError] = []
    labels = (template.get("metadata") or {}).get("labels") or {}
    if selector and not selector_matches(selector, labels):
        detail = "`selector` does not match template `labels`"
        errors.append(invalid(f"{path}.metadata.labels", labels, detail))
    spec = template.get("spec") or {}
    errors += validate_pod_spec(spec, f"{path}.spec")
    policy = spec.get("restartPolicy", "Always")
    if policy != "Always":
        errors.append(
            FieldError("NotSupported", f"{path}.spec.restartPolicy", '"Always"', render(policy))
        )
    if spec.get("activeDeadlineSeconds") is not None:
        detail = "activeDeadlineSeconds in ReplicaSet is not Supported"
        errors.append(FieldError("Forbidden", f"{path}.spec.activeDeadlineSeconds", detail))
    return errors


def validate_name(obj: Obj) -> list[FieldError]:
    name = (obj.get("metadata") or {}).get("name")
    if name and not _SUBDOMAIN.match(name):
        return [invalid("metadata.name", name, SUBDOMAIN_MESSAGE)]
    return []


def _validate_selector(selector: Any, path: str) -> list[FieldError]:
    if selector is None:
        return [FieldError("Required", path)]
    if not (selector.get("matchLabels") or selector.get("matchExpressions")):
        detail = "empty selector is invalid for deployment"
        return [FieldError("Invalid", path, detail, render_selector(selector))]
    return []


def validate_deployment(obj: Obj, old: Obj | None) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errors = validate_name(obj)
    errors += _nonnegative(spec.get("replicas"), "spec.replicas")
    selector = spec.get("selector")
    errors += _validate_selector(selector, "spec.selector")
    errors += validate_template_for_replicas(spec.get("template"), selector, "spec.template")
    errors += validate_strategy(spec.get("strategy") or {}, "spec.strategy")
    min_ready = spec.get("minReadySeconds") or 0
    errors += _nonnegative(min_ready, "spec.minReadySeconds")
    errors += _nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    deadline = spec.get("progressDeadlineSeconds")
    if deadline is not None:
        errors += _nonnegative(deadline, "spec.progressDeadlineSeconds")
        if isinstance(deadline, int) and isinstance(min_ready, int) and deadline <= min_ready:
            path = "spec.progressDeadlineSeconds"
            errors.append(invalid(path, deadline, "must be greater than minReadySeconds"))
    if old is not None:
        errors += _immutable_selector(selector, (old.get("spec") or {}).get("selector"))
    return errors


def _immutable_selector(new: Any, old: Any) -> list[FieldError]:
    if new == old or not isinstance(new, dict):
        return []
    return [FieldError("Invalid", "spec.selector", "field is immutable", render_selector(new))]


def validate_replicaset(obj: Obj, old: Obj | None) -> list[FieldError]:
    spec = obj.get("spec") or {}
    errors = validate_name(obj)
    errors += _nonnegative(spec.get("replicas"), "spec.replicas")
    selector = spec.get("selector")
    if selector is None:
        errors.append(FieldError("Required", "spec.selector"))
    errors += validate_template_for_replicas(spec.get("template"), selector, "spec.template")
    errors += _nonnegative(spec.get("minReadySeconds") or 0, "spec.minReadySeconds")
    if old is not None:
        errors += _immutable_selector(selector, (old.get("spec") or {}).get("selector"))
    return errors


def validate_pod(obj: Obj, old: Obj | None) -> list[FieldError]:
    return validate_name(obj) + validate_pod_spec(obj.get("spec") or {}, "spec")
