"""The models of releasebot.yml. `ReleasebotConfig` is what the rest of the bot receives.

Start-up and `releasebot check-config` validate through `bot.config.loading`, which turns
pydantic's errors into one readable line per problem.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal, TypeVar
from zoneinfo import ZoneInfo

from pydantic import Field, PrivateAttr, StrictBool, model_validator
from pydantic_core import PydanticCustomError

from bot.config import messages
from bot.config.approvals import Approvals, BreakGlass
from bot.config.base import REFERENCES_TYPE, ConfigModel, problem_at
from bot.config.durations import Duration
from bot.config.fields import ChannelId, DnsLabel, TimezoneName
from bot.config.freezes import Freeze
from bot.config.references import reference_problems
from bot.config.service import Reaction, Service

T = TypeVar("T")
Policy = Literal["auto", "manual", "approval"]


class Cluster(ConfigModel):
    """How to reach a cluster: a kubeconfig context, the pod's service account, or the simulator."""

    context: Annotated[str, Field(min_length=1, max_length=253)] | None = None
    kubeconfig: Path | None = None
    in_cluster: StrictBool = False
    simulated: StrictBool = False

    @model_validator(mode="after")
    def _exactly_one(self) -> Cluster:
        given = [
            key
            for key, on in (
                ("context", self.context is not None),
                ("in_cluster", self.in_cluster),
                ("simulated", self.simulated),
            )
            if on
        ]
        if len(given) != 1:
            raise problem_at(
                None, messages.CLUSTER_EXACTLY_ONE.format(found=", ".join(given) or "none")
            )
        if self.kubeconfig is not None and self.context is None:
            raise problem_at("kubeconfig", messages.CLUSTER_KUBECONFIG_NEEDS_CONTEXT)
        return self

    @property
    def kind(self) -> Literal["context", "in_cluster", "simulated"]:
        if self.context is not None:
            return "context"
        return "in_cluster" if self.in_cluster else "simulated"


class Environment(ConfigModel):
    cluster: DnsLabel
    namespace: DnsLabel
    policy: Policy
    approvals: Approvals | None = None
    rollback_approvals: Approvals | None = None
    break_glass: BreakGlass | None = None
    promote_from: DnsLabel | None = None
    on_failure: Reaction = "rollback"
    progress_timeout: Duration | None = None
    freezes: list[Freeze] = Field(default_factory=list)

    _name: str = PrivateAttr(default="")

    @model_validator(mode="after")
    def _unique_freezes(self) -> Environment:
        names = [f.name for f in self.freezes]
        for name in names:
            if names.count(name) > 1:
                raise problem_at("freezes", messages.FREEZE_DUPLICATE.format(name=name))
        return self

    @property
    def name(self) -> str:
        return self._name


class Audit(ConfigModel):
    """Where the leader posts the audit log's chain head: a copy outside the database, so
    ``releasebot audit verify --expect`` can tell that the newest events were deleted."""

    channel: ChannelId
    post_head_every: Duration = timedelta(hours=1)

    @model_validator(mode="after")
    def _not_too_often(self) -> Audit:
        if self.post_head_every < timedelta(minutes=1):
            raise problem_at("post_head_every", messages.AUDIT_TOO_OFTEN)
        return self


class ReleasebotConfig(ConfigModel):
    timezone: TimezoneName
    clusters: Annotated[dict[DnsLabel, Cluster], Field(min_length=1)]
    environments: Annotated[dict[DnsLabel, Environment], Field(min_length=1)]
    services: Annotated[dict[DnsLabel, Service], Field(min_length=1)]
    audit: Audit | None = None

    @model_validator(mode="after")
    def _cross_references(self) -> ReleasebotConfig:
        found = reference_problems(self.model_dump(mode="python"))
        if found:
            raise PydanticCustomError(
                REFERENCES_TYPE,
                "{count} reference problem(s)",
                {"count": len(found), "problems": found},
            )
        names = tuple(self.environments)
        for env_name, env in self.environments.items():
            env._name = env_name
        for service_name, service in self.services.items():
            service.bind(service_name, names)
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def cluster(self, name: str) -> Cluster:
        return _lookup(self.clusters, name, "cluster")

    def environment(self, name: str) -> Environment:
        return _lookup(self.environments, name, "environment")

    def service(self, name: str) -> Service:
        return _lookup(self.services, name, "service")

    def freeze_zone(self, freeze: Freeze) -> ZoneInfo:
        """A window's own time zone, else the file's."""
        return freeze.zone(self.zone)

    def promotion_source(self, environment: str) -> Environment | None:
        source = self.environment(environment).promote_from
        return None if source is None else self.environment(source)


class UnknownNameError(LookupError):
    """A service, environment or cluster name from chat or an API that the file does not define."""

    def __init__(self, kind: str, name: str, known: tuple[str, ...]) -> None:
        self.kind, self.name, self.known = kind, name, known
        super().__init__(
            f"unknown {kind} {name!r}; known {kind}s: {', '.join(known) or 'none configured'}"
        )


def _lookup(table: dict[str, T], name: str, kind: str) -> T:
    try:
        return table[name]
    except KeyError:
        raise UnknownNameError(kind, name, tuple(table)) from None
