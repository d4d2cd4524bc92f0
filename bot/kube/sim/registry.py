"""Defaults and validation the API server applies to objects that clients write.

Mirrors `pkg/apis/apps/v1/defaults.go` and `pkg/registry/apps/deployment/strategy.go`:
what the real API server fills in and what it refuses with 422 Invalid.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from bot.kube.sim import defaults, validation
from bot.kube.sim.resources import DEPLOYMENTS, PODS, REPLICASETS, ResourceType
from bot.kube.sim.store import Invalid, Obj

_Validator = Callable[[Obj, Obj | None], list[validation.FieldError]]
_RULES: dict[str, tuple[Callable[[Obj], None], _Validator]] = {
    DEPLOYMENTS.key: (defaults.default_deployment, validation.validate_deployment),
    REPLICASETS.key: (defaults.default_replicaset, validation.validate_replicaset),
    PODS.key: (defaults.default_pod, validation.validate_pod),
}


def admit(rtype: ResourceType, obj: Obj, old: Obj | None) -> Obj:
    """Return ``obj`` with defaults applied; raise ``store.Invalid`` for what the API refuses.

    ``old`` is the stored object for an update, ``None`` for a create.
    """
    rules = _RULES.get(rtype.key)
    if rules is None:
        return obj
    apply_defaults, validate = rules
    admitted = copy.deepcopy(obj)
    if old is None:
        # PrepareForCreate: a client cannot create an object with a status of its choosing.
        admitted.pop("status", None)
        if rtype.key != PODS.key:
            admitted["status"] = {}
    apply_defaults(admitted)
    errors = validate(admitted, old)
    if errors:
        raise invalid_error(rtype, admitted, errors)
    return admitted


def invalid_error(rtype: ResourceType, obj: Obj, errors: list[validation.FieldError]) -> Invalid:
    """A StatusError body the way apierrors.NewInvalid words it."""
    name = (obj.get("metadata") or {}).get("name") or ""
    qualified = f"{rtype.kind}.{rtype.group}" if rtype.group else rtype.kind
    text = str(errors[0]) if len(errors) == 1 else f"[{', '.join(str(e) for e in errors)}]"
    return Invalid(
        f'{qualified} "{name}" is invalid: {text}',
        kind=rtype.kind,
        name=name,
        causes=[e.cause() for e in errors],
    )
