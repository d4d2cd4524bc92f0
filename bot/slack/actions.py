"""The action ids of releasebot's buttons and what their values carry, shared by the
builders that draw the buttons and the listeners that receive the clicks.

A release button's value is only the release id: every fact (who may vote, which digest) is
read again from the database when the click arrives. A build announcement's deploy button
names the build and the environment; the click goes through the same checks as ``/deploy``.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass

APPROVE = "release.approve"
REJECT = "release.reject"
CONFIRM = "release.confirm"
CANCEL = "release.cancel"

RELEASE_ACTIONS = (APPROVE, REJECT, CONFIRM, CANCEL)

DEPLOY_BUILD_PREFIX = "build.deploy."
DEPLOY_BUILD = re.compile(r"^build\.deploy\.[a-z0-9-]{1,63}$")
"""One button per environment; Slack wants action ids unique within a block, so the
environment is part of the id (``deploy_action_id``) and listeners match this pattern."""

MAX_VALUE_LENGTH = 2000  # Slack's limit for a button value


class BadActionValue(ValueError):
    """A button value that releasebot did not write (forged, or from an older version)."""


def release_value(release_id: uuid.UUID) -> str:
    return str(release_id)


def parse_release_value(value: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as err:
        raise BadActionValue(f"not a release id: {value!r}") from err


def deploy_action_id(environment: str) -> str:
    return f"{DEPLOY_BUILD_PREFIX}{environment}"


@dataclass(frozen=True)
class DeployBuild:
    service: str
    version: str
    environment: str


def deploy_value(service: str, version: str, environment: str) -> str:
    return json.dumps({"service": service, "version": version, "environment": environment})


def parse_deploy_value(value: str | None) -> DeployBuild:
    try:
        data = json.loads(value or "")
    except ValueError as err:
        raise BadActionValue("a deploy button value is not JSON") from err
    if not isinstance(data, dict) or set(data) != {"service", "version", "environment"}:
        raise BadActionValue("a deploy button value names service, version and environment")
    if not all(isinstance(v, str) and v for v in data.values()):
        raise BadActionValue("a deploy button value holds three non-empty strings")
    return DeployBuild(data["service"], data["version"], data["environment"])
