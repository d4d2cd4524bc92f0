"""What can go wrong talking to a cluster, typed by whether trying again can help.

Callers (the release workflow, the Slack layer) decide between "retry later" and "tell a
person" from the type alone: :class:`TemporaryKubeError` carries ``retry_after`` seconds,
:class:`PermanentKubeError` means a person has to change something first. Messages name the
context, namespace and object and say what to do. They are built from the API server's
Status message only, never from request headers, so credentials cannot leak into Slack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError as Urllib3Error


@dataclass(frozen=True)
class Where:
    """The coordinates every message names."""

    context: str
    namespace: str

    def describe(self) -> str:
        return f'namespace "{self.namespace}" (context "{self.context}")'


class KubeError(Exception):
    """Base of every error the driver raises; ``retryable`` says whether waiting can help."""

    retryable = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TemporaryKubeError(KubeError):
    retryable = True

    def __init__(self, message: str, *, retry_after: float = 5.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentKubeError(KubeError):
    retryable = False


class ClusterUnreachable(TemporaryKubeError):
    pass


class ServerError(TemporaryKubeError):
    """5xx, 429 or a watch that ended in an error; the server may recover."""


class Conflict(TemporaryKubeError):
    """Someone else changed the object in between; re-read and try again."""


class ObjectNotFound(PermanentKubeError):
    """The Deployment, or the container in it, does not exist."""


class Forbidden(PermanentKubeError):
    """RBAC refused the request (401/403)."""


class InvalidRequest(PermanentKubeError):
    """The API server refused the object (400/422)."""


class RolloutRefused(PermanentKubeError):
    """kubectl's own refusals: paused, unknown revision, no history."""


class DeploymentDeleted(PermanentKubeError):
    """The Deployment disappeared while a rollout was being watched."""


def status_message(err: ApiException) -> str:
    """The Status message of an API error body, or the HTTP reason when there is none."""
    body: Any = err.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str) and body:
        try:
            parsed = json.loads(body)
        except ValueError:
            return str(err.reason or "").strip() or f"HTTP {err.status}"
        if isinstance(parsed, dict) and isinstance(parsed.get("message"), str):
            return str(parsed["message"])
    return str(err.reason or "").strip() or f"HTTP {err.status}"


def translate(err: Exception, where: Where, action: str) -> KubeError:
    """Turn a client error into a project error; ``action`` reads like 'patch deployment "api"'.

    The caller raises the result ``from err`` so the original stays in the chain.
    """
    if isinstance(err, KubeError):
        return err
    place = where.describe()
    if isinstance(err, ApiException):
        code = int(err.status or 0)
        detail = status_message(err)
        if code == 0:
            return ClusterUnreachable(
                f"could not {action} in {place}: {detail}. "
                "Check that the API server is reachable, then try again."
            )
        if code == 401:
            return Forbidden(
                f"could not {action} in {place}: the API server did not accept the bot's "
                "credentials (401). Refresh the kubeconfig or service-account token."
            )
        if code == 403:
            return Forbidden(
                f"could not {action} in {place}: forbidden: {detail}. Grant the bot's "
                "service account this verb in its Role (see deploy/ RBAC), then try again."
            )
        if code == 404:
            return ObjectNotFound(
                f"could not {action} in {place}: {detail}. Check the service's deployment "
                "name and namespace in the configuration."
            )
        if code == 409:
            return Conflict(
                f"could not {action} in {place}: {detail}. It changed meanwhile; try again.",
                retry_after=1.0,
            )
        if code in (400, 422):
            return InvalidRequest(
                f"could not {action} in {place}: the API server refused it: {detail}"
            )
        if code == 429 or code >= 500:
            retry = _retry_after(err)
            return ServerError(
                f"could not {action} in {place}: the API server answered {code}: {detail}. "
                f"Try again in {retry:g} s.",
                retry_after=retry,
            )
        return PermanentKubeError(f"could not {action} in {place}: HTTP {code}: {detail}")
    if isinstance(err, Urllib3Error | OSError | TimeoutError):
        return ClusterUnreachable(
            f"could not {action} in {place}: the API server is unreachable "
            f"({_short(err)}). Check the cluster address and network, then try again."
        )
    return PermanentKubeError(f"could not {action} in {place}: {type(err).__name__}: {err}")


def _retry_after(err: ApiException) -> float:
    headers = err.headers or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return max(1.0, float(value)) if value is not None else 5.0
    except ValueError:
        return 5.0


def _short(err: Exception) -> str:
    text = f"{type(err).__name__}: {err}"
    return text if len(text) <= 300 else text[:297] + "..."
