"""Who may approve and how many yes votes count (SECURITY.md "Approvals").

Eligibility is asked of the GroupDirectory each time it matters (at the vote and again before
the rollout), so someone removed from a group in between stops counting. The requester never
counts, and only votes cast on the release's exact digest do.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.config import Approvals
from bot.workflow.ports import GroupDirectory
from storage.models import Vote, VoteDecision


class ResolvedGroups:
    """The members of a rule's groups, looked up once before a transaction opens: asking
    Slack inside one would hold the database write lock for as long as Slack takes."""

    def __init__(self, rule: Approvals, groups: GroupDirectory) -> None:
        self._members = {group: groups.members(group) for group in rule.groups}

    def members(self, group: str) -> frozenset[str]:
        return self._members.get(group, frozenset())


def is_eligible(rule: Approvals, groups: GroupDirectory, user_id: str) -> bool:
    if user_id in rule.individuals:
        return True
    return any(user_id in groups.members(group) for group in rule.groups)


def counted_approvals(
    rule: Approvals,
    groups: GroupDirectory,
    votes: Iterable[Vote],
    *,
    requester: str,
    digest: str,
) -> list[str]:
    """Distinct eligible approvers (not the requester) who approved this digest, in vote order."""
    counted: list[str] = []
    for vote in votes:
        if (
            vote.decision is VoteDecision.APPROVE
            and vote.digest == digest
            and vote.user_id != requester
            and vote.user_id not in counted
            and is_eligible(rule, groups, vote.user_id)
        ):
            counted.append(vote.user_id)
    return counted


def mention(approver: str) -> str:
    """How an approver is named in any message: Slack's mention syntax, which Slack shows as
    a name and the demo console renders too. Configured approvers are user IDs (U…/W…),
    subteam IDs (S…) or ``@handle``s."""
    if approver.startswith("S"):
        return f"<!subteam^{approver}>"
    if approver.startswith("@"):
        return f"`{approver}`"
    return f"<@{approver}>"


def describe(rule: Approvals) -> str:
    return ", ".join(mention(a) for a in rule.approvers)
