"""What the bot deploys: one Deployment container per service, with rollout and SLO settings."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import (
    AnyHttpUrl,
    Field,
    PrivateAttr,
    StrictFloat,
    StrictInt,
    field_validator,
    model_validator,
)

from bot.config import messages
from bot.config.base import ConfigModel, problem_at
from bot.config.durations import Duration
from bot.config.fields import (
    ChannelId,
    DnsLabel,
    DnsSubdomain,
    ImageRepository,
    IntOrPercentValue,
    check_dns_label,
)

Reaction = Literal["rollback", "pause", "alert"]
WINDOW_PLACEHOLDER = "{{window}}"


class Strategy(ConfigModel):
    """Overrides for the Deployment's RollingUpdate strategy; unset keys keep the cluster's."""

    max_surge: IntOrPercentValue | None = None
    max_unavailable: IntOrPercentValue | None = None
    min_ready_seconds: Annotated[StrictInt, Field(ge=0)] | None = None
    progress_deadline_seconds: Annotated[StrictInt, Field(ge=1)] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Strategy:
        surge, unavailable = self.max_surge, self.max_unavailable
        if unavailable is not None and unavailable.percent and unavailable.value > 100:
            raise problem_at(
                "max_unavailable",
                messages.FOUND_ALLOWED.format(found=repr(str(unavailable)), allowed="at most 100%"),
            )
        if surge is not None and unavailable is not None and surge.is_zero and unavailable.is_zero:
            raise problem_at("max_unavailable", messages.BOTH_ZERO)
        deadline, min_ready = self.progress_deadline_seconds, self.min_ready_seconds
        if deadline is not None and min_ready is not None and deadline <= min_ready:
            raise problem_at(
                "progress_deadline_seconds",
                messages.DEADLINE_TOO_SHORT.format(deadline=deadline, min_ready=min_ready),
            )
        return self


class Objective(ConfigModel):
    """One SLO; `error_ratio` is evaluated over several windows for multi-window burn rates."""

    name: DnsLabel
    target: Annotated[StrictFloat | StrictInt, Field(gt=0, lt=100)]
    error_ratio: Annotated[str, Field(min_length=1)]

    @field_validator("error_ratio")
    @classmethod
    def _has_window(cls, value: str) -> str:
        if WINDOW_PLACEHOLDER not in value:
            raise ValueError(messages.WINDOW_PLACEHOLDER.format())
        return value

    @property
    def error_budget(self) -> float:
        """The allowed error ratio, e.g. 0.001 for a 99.9 % target."""
        return (100.0 - float(self.target)) / 100.0

    def query(self, window: str) -> str:
        return self.error_ratio.replace(WINDOW_PLACEHOLDER, window)


class Slo(ConfigModel):
    prometheus: AnyHttpUrl
    objectives: Annotated[list[Objective], Field(min_length=1)]
    bake: Duration = timedelta(minutes=10)
    on_breach: Reaction = "rollback"

    @model_validator(mode="after")
    def _unique(self) -> Slo:
        names = [o.name for o in self.objectives]
        for name in names:
            if names.count(name) > 1:
                raise problem_at("objectives", messages.DUPLICATE_OBJECTIVE.format(name=name))
        return self


class Service(ConfigModel):
    channel: ChannelId
    deployment: DnsSubdomain
    container: DnsLabel | None = None
    image: ImageRepository
    environments: list[DnsLabel] | None = None
    strategy: Strategy | None = None
    slo: Slo | None = None

    _name: str = PrivateAttr(default="")
    _allowed: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _container_name(self) -> Service:
        if self.container is None:
            try:
                check_dns_label(self.deployment)
            except ValueError as err:
                raise problem_at(
                    "container",
                    messages.CONTAINER_DEFAULT.format(
                        name=self.deployment, allowed=messages.DNS_LABEL
                    ),
                ) from err
        return self

    @property
    def name(self) -> str:
        return self._name

    @property
    def container_name(self) -> str:
        return self.container or self.deployment

    @property
    def environments_allowed(self) -> tuple[str, ...]:
        """The environments this service may go to, in the order the file lists environments."""
        return self._allowed

    def bind(self, name: str, all_environments: tuple[str, ...]) -> None:
        """Called once by the root model: a service learns its key and its allowed environments."""
        self._name = name
        wanted = set(self.environments) if self.environments is not None else None
        self._allowed = tuple(e for e in all_environments if wanted is None or e in wanted)
