"""Turning what someone typed into a deployable artifact, or a refusal that says what to do.

A target is a version CI announced (its digest comes from the build record) or an image
reference inside the service's repository pinned by ``@sha256:`` — never a bare tag, because
approvals are bound to the digest.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from bot.config import Environment, ReleasebotConfig, Service, UnknownNameError
from bot.images import InvalidImageReference, parse_image
from bot.workflow.errors import BadRequest, PromotionRequired
from storage.builds import get_build
from storage.models import Build, Release, ReleaseKind, ReleaseState


@dataclass(frozen=True)
class Target:
    version: str
    image: str
    """As announced or typed (may carry a tag as well as the digest)."""
    digest: str

    @property
    def pinned(self) -> str:
        """What is patched into the Deployment: the repository at this exact digest."""
        return f"{parse_image(self.image).repository_name}@{self.digest}"


def lookup(config: ReleasebotConfig, service: str, environment: str) -> tuple[Service, Environment]:
    try:
        svc = config.service(service)
        env = config.environment(environment)
    except UnknownNameError as err:
        raise BadRequest(str(err)) from None
    if environment not in svc.environments_allowed:
        raise BadRequest(
            f"{service} does not deploy to {environment}; it may go to "
            f"{', '.join(svc.environments_allowed)}."
        )
    return svc, env


def resolve_target(session: Session, service: Service, target: str) -> Target:
    text = target.strip()
    if not text:
        raise BadRequest(f"say which version or image of {service.name} to deploy")
    if "/" in text or "@" in text:
        return _image_target(session, service, text)
    build = get_build(session=session, service=service.name, version=text)
    if build is None:
        raise BadRequest(
            f"{service.name} {text} was never announced by CI; use an announced version or "
            f"an image like {service.image}@sha256:<digest>."
        )
    return Target(version=build.version, image=build.image, digest=build.digest)


def _image_target(session: Session, service: Service, text: str) -> Target:
    try:
        ref = parse_image(text)
    except InvalidImageReference as err:
        raise BadRequest(str(err)) from None
    if not ref.belongs_to(service.image):
        raise BadRequest(
            f"{text} is not in {service.name}'s repository {service.image}; "
            f"use {service.image}@sha256:<digest>."
        )
    if ref.digest is None:
        raise BadRequest(
            f"{text} has no digest; approvals bind to an exact artifact, so use "
            f"{ref.repository_name}@sha256:<digest>."
        )
    build = session.exec(
        select(Build).where(Build.service == service.name, Build.digest == ref.digest)
    ).first()
    version = build.version if build is not None else ref.tag or ref.digest[:19]
    return Target(version=version, image=str(ref), digest=ref.digest)


def check_promotion(
    session: Session, config: ReleasebotConfig, service: str, environment: str, digest: str
) -> None:
    source = config.environment(environment).promote_from
    if source is None:
        return
    succeeded = session.exec(
        select(Release.id).where(
            Release.service == service,
            Release.environment == source,
            Release.digest == digest,
            Release.kind == ReleaseKind.DEPLOY,
            Release.state == ReleaseState.SUCCEEDED,
        )
    ).first()
    if succeeded is None:
        raise PromotionRequired(
            f"{service} at {digest[:19]}… has not succeeded in {source} yet; "
            f"deploy it to {source} first, then promote it to {environment}."
        )
