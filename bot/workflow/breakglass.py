"""Break-glass: a deploy in an emergency (SECURITY.md "Approvals", DESIGN.md "Rules").

It answers to the environment's own ``break_glass`` approvers (the normal approvers do not
count unless they are listed there too), through the same vote machinery as any release: the
requester never counts, votes are distinct, bound to the digest, membership is checked at the
vote and again before the rollout, and the request expires. It needs a reason, and it skips
what stands between on-call people and a fix:

- ``promote_from``: the fix for an outage in production has usually not been through staging
  first; what was skipped is written to the audit log (``promote_from_skipped``).
- freezes: releasebot does not enforce freezes yet; :func:`skips_freezes` is the question the
  freeze check is to ask when a release is requested and again before it starts.

It never skips the audit log: every event of a break-glass release carries its reason
(``break_glass_reason``) and ``break_glass: true`` in its details.
"""

from __future__ import annotations

from typing import Protocol

from sqlmodel import Session

from bot.config import BreakGlass, Environment, ReleasebotConfig
from bot.workflow.errors import BadRequest, NotAllowed, PromotionRequired
from bot.workflow.requests import check_promotion

EXAMPLE = "/deploy {service} {target} to {environment} break-glass because <what is broken>"

NOT_CONFIGURED = (
    "{environment} has no break-glass approvers, so a break-glass deploy cannot be requested "
    "there. To allow one, add `break_glass: {{required: 1, approvers: [<user IDs or "
    "@groups>]}}` under `environments.{environment}` in releasebot.yml; otherwise deploy "
    "normally with `/deploy {service} {target} to {environment}`."
)
NEEDS_REASON = (
    "a break-glass deploy needs a reason, written to the audit log and announced in the "
    "channel: `" + EXAMPLE + "`."
)


class Marked(Protocol):
    """A release row, a request for one, or its snapshot."""

    @property
    def break_glass(self) -> bool: ...


def skips_freezes(release: Marked) -> bool:
    """Whether a freeze window may be ignored for this release (the freeze check's seam)."""
    return release.break_glass


def rule_for(env: Environment, *, service: str, target: str, reason: str | None) -> BreakGlass:
    """The break-glass approvers of ``env``, or a refusal that says how to get there."""
    names = {"service": service, "target": target, "environment": env.name}
    if env.break_glass is None:
        raise NotAllowed(NOT_CONFIGURED.format(**names))
    if reason is None or not reason.strip():
        raise BadRequest(NEEDS_REASON.format(**names))
    return env.break_glass


def promotion_skipped(
    session: Session, config: ReleasebotConfig, service: str, environment: str, digest: str
) -> str | None:
    """The ``promote_from`` environment this release would have been refused for, if any:
    recorded in the audit log, not enforced."""
    try:
        check_promotion(session, config, service, environment, digest)
    except PromotionRequired:
        return config.environment(environment).promote_from
    return None
