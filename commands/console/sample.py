"""What the demo runs on: one channel, two services, staging on ``auto``, production needing
two approvals, and four people to act as.

The configuration is a real ``releasebot.yml`` (validated by ``parse_config`` like any other);
only its cluster is ``simulated: true`` and its Slack IDs are the stand-in's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

CHANNEL_ID = "C0RELEASES"
CHANNEL_NAME = "releases"
REPOSITORY = "registry.example.com/shop"
SERVICES = ("api", "web")
INITIAL_VERSION = "1.4.2"
NAMESPACES = {"staging": "staging", "production": "production"}
REPLICAS = 3
RELEASE_MANAGERS_ID = "S0RELMGR"
RELEASE_MANAGERS = "release-managers"


@dataclass(frozen=True)
class Person:
    name: str
    user_id: str
    role: str


PEOPLE = (
    Person("dana", "U0DANA01", "developer; asks for releases"),
    Person("alice", "U0ALICE1", "approver for production"),
    Person("bob", "U0BOB001", "approver for production"),
    Person("carol", "U0CAROL1", f"in @{RELEASE_MANAGERS}, who may approve production"),
)
FIRST_PERSON = PEOPLE[0]


@dataclass(frozen=True)
class Speed:
    """How fast the simulated cluster moves: pods start after ``pod_ready_after`` seconds and
    a rollout that makes no progress for ``progress_deadline`` seconds has failed."""

    pod_ready_after: float
    progress_deadline: int


NORMAL = Speed(pod_ready_after=1.5, progress_deadline=20)
FAST = Speed(pod_ready_after=0.2, progress_deadline=3)


def config_yaml() -> str:
    people = {p.name: p.user_id for p in PEOPLE}
    services = "\n".join(
        f"  {name}:\n"
        f"    channel: {CHANNEL_ID}\n"
        f"    deployment: {name}\n"
        f"    image: {REPOSITORY}/{name}"
        for name in SERVICES
    )
    return f"""\
# releasebot demo: the same file format as a real workspace's releasebot.yml
timezone: UTC
clusters:
  demo: {{simulated: true}}
environments:
  staging:
    cluster: demo
    namespace: {NAMESPACES["staging"]}
    policy: auto
    progress_timeout: 2m
  production:
    cluster: demo
    namespace: {NAMESPACES["production"]}
    policy: approval
    approvals:
      required: 2
      approvers: [{people["alice"]}, {people["bob"]}, "@{RELEASE_MANAGERS}"]
      expire_after: 30m
    promote_from: staging
    progress_timeout: 2m
services:
{services}"""


def image_repository(service: str) -> str:
    return f"{REPOSITORY}/{service}"


def digest(service: str, version: str) -> str:
    """A stable, made-up digest per build, so the same version is the same image."""
    return "sha256:" + hashlib.sha256(f"{service}:{version}".encode()).hexdigest()


def build_image(service: str, version: str) -> str:
    return f"{image_repository(service)}:{version}@{digest(service, version)}"


def deployed_image(service: str, version: str) -> str:
    """How the bot writes a build into the Deployment: the repository, pinned by digest."""
    return f"{image_repository(service)}@{digest(service, version)}"


def commit_of(service: str, version: str) -> str:
    return hashlib.sha1(f"commit {service} {version}".encode(), usedforsecurity=False).hexdigest()


def person(name: str) -> Person | None:
    wanted = name.strip().lstrip("@").lower()
    return next((p for p in PEOPLE if p.name == wanted), None)
