"""What a build announcement may do: only the service's own images, once per artifact, and
continuous deployment never moves an environment back to an older build."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.workflow.errors import BadRequest
from bot.workflow.events import AutoDeployBlocked, BuildAnnounced, Event, ReleaseRequested
from bot.workflow.model import BuildStatus
from storage.models import Build, Release
from tests.workflow.harness import Harness, build, image

FOREIGN = [
    "evil.example.com/shop/api",
    "registry.example.com/shop/api-evil",
    "registry.example.com/shop/apiary",
    "registry.example.com/shop",
    "registry.example.com/shop/api/sub",
    "registry.example.com:5000/shop/api",
    "docker.io/shop/api",
]


@pytest.mark.parametrize("repository", FOREIGN)
def test_an_image_outside_the_service_repository_is_refused_and_nothing_happens(
    h: Harness, repository: str
) -> None:
    h.create_deployment()
    with pytest.raises(
        BadRequest, match=r"not in api's repository registry\.example\.com/shop/api"
    ):
        h.workflow.announce_build(build("1.0.1", 1, repo=repository))
    assert h.sink.events == []
    with Session(h.engine) as session:
        assert session.exec(select(Build)).all() == []
        assert session.exec(select(Release)).all() == []
    container = h.deployment("default")["spec"]["template"]["spec"]["containers"][0]  # type: ignore[index]
    assert container["image"] == image(15)


def test_the_same_signed_delivery_twice_does_nothing_the_second_time(h: Harness) -> None:
    h.create_deployment()
    first = h.workflow.announce_build(build("1.0.1", 1), delivery="build-hook:v1=" + "a" * 64)
    again = h.workflow.announce_build(build("1.0.1", 1), delivery="build-hook:v1=" + "a" * 64)
    assert h.settle()
    assert (first.status, again.status) == (BuildStatus.NEW, BuildStatus.REPLAYED)
    assert len(h.sink.of(BuildAnnounced)) == 1
    assert len(h.sink.of(ReleaseRequested)) == 1


def test_a_known_build_announced_again_announces_nothing_and_never_rolls_back(
    h: Harness,
) -> None:
    h.create_deployment()
    h.workflow.announce_build(build("1.0.1", 1))
    assert h.settle()
    h.workflow.announce_build(build("1.0.2", 2))
    assert h.settle()
    again = h.workflow.announce_build(build("1.0.1", 1))
    assert h.settle()
    assert again.status is BuildStatus.KNOWN
    assert again.first_received is not None
    assert [e.build.version for e in h.sink.of(BuildAnnounced)] == ["1.0.1", "1.0.2"]
    assert [e.release.version for e in h.sink.of(ReleaseRequested)] == ["1.0.1", "1.0.2"]
    container = h.deployment("default")["spec"]["template"]["spec"]["containers"][0]  # type: ignore[index]
    assert container["image"] == image(2)


def test_a_build_overtaken_by_a_newer_one_is_not_deployed_and_the_channel_is_told(
    h: Harness,
) -> None:
    """Two hooks in flight: 1.0.1 is recorded first, then 1.0.2 is recorded and deployed
    before 1.0.1's continuous deploy runs. 1.0.1 must not replace 1.0.2 afterwards."""
    h.create_deployment()
    overtaken = False

    def overtake(event: Event) -> None:
        nonlocal overtaken
        if isinstance(event, BuildAnnounced) and event.build.version == "1.0.1" and not overtaken:
            overtaken = True
            h.workflow.announce_build(build("1.0.2", 2))
            assert h.settle()

    h.sink.tap = overtake
    h.workflow.announce_build(build("1.0.1", 1))
    assert h.settle()
    [blocked] = h.sink.of(AutoDeployBlocked)
    assert blocked.build.version == "1.0.1" and blocked.environment == "staging"
    assert "already received 1.0.2, a newer build" in blocked.reason
    assert [e.release.version for e in h.sink.of(ReleaseRequested)] == ["1.0.2"]
    container = h.deployment("default")["spec"]["template"]["spec"]["containers"][0]  # type: ignore[index]
    assert container["image"] == image(2)
