"""Status bodies with the real API server's wording, so clients parse our errors as theirs."""

from __future__ import annotations

from typing import Any

from bot.kube.sim.resources import ResourceType
from bot.kube.sim.store import Invalid, Obj, StoreError


class ApiError(Exception):
    """An answer that is a Status rather than an object; raised anywhere in request handling."""

    def __init__(self, code: int, reason: str, message: str, details: Obj | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def body(self) -> Obj:
        return status_body(self.code, self.reason, self.message, self.details)


def status_body(code: int, reason: str, message: str, details: Obj | None = None) -> Obj:
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return body


def success_body(rtype: ResourceType, name: str, uid: str) -> Obj:
    """What DELETE answers for kinds that have no graceful deletion."""
    details: Obj = {"name": name, "kind": rtype.plural, "uid": uid}
    if rtype.group:
        details["group"] = rtype.group
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    }


def from_store_error(err: StoreError, rtype: ResourceType | None) -> ApiError:
    details: Obj = {}
    if err.name:
        details["name"] = err.name
    if rtype is not None and rtype.group:
        details["group"] = rtype.group
    if err.kind:
        details["kind"] = err.kind
    if isinstance(err, Invalid) and err.causes:
        details["causes"] = err.causes
    return ApiError(err.code, err.reason, err.message, details or None)


def resource_label(rtype: ResourceType) -> str:
    """``deployments.apps`` / ``pods``: how the API server names a resource in messages."""
    return f"{rtype.plural}.{rtype.group}" if rtype.group else rtype.plural


def not_found(rtype: ResourceType, name: str) -> ApiError:
    details: Obj = {"name": name, "kind": rtype.plural}
    if rtype.group:
        details["group"] = rtype.group
    return ApiError(404, "NotFound", f'{resource_label(rtype)} "{name}" not found', details)


def path_not_found() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def method_not_allowed() -> ApiError:
    return ApiError(
        405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
    )


def unsupported_media_type(content_type: str, accepted: tuple[str, ...]) -> ApiError:
    return ApiError(
        415,
        "UnsupportedMediaType",
        f'the body of the request was in an unknown format "{content_type}" - accepted media '
        f"types include: {', '.join(accepted)}",
    )


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def forbidden(
    *,
    user: str,
    verb: str,
    rtype: ResourceType,
    subresource: str,
    namespace: str | None,
    name: str,
) -> ApiError:
    """The RBAC authorizer's refusal, word for word (`forbidden.go` plus the authorizer reason)."""
    what = resource_label(rtype) + (f' "{name}"' if name else "")
    resource = rtype.plural + (f"/{subresource}" if subresource else "")
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    message = (
        f'{what} is forbidden: User "{user}" cannot {verb} resource "{resource}" '
        f'in API group "{rtype.group}" {scope}'
    )
    details: Obj = {"kind": rtype.plural}
    if name:
        details["name"] = name
    if rtype.group:
        details["group"] = rtype.group
    return ApiError(403, "Forbidden", message, details)


def too_old(message: str) -> Obj:
    return status_body(410, "Expired", message)
