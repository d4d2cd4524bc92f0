"""Block Kit for every message and view, built from slack_sdk's models so that a payload
Slack would refuse fails here, when it is built, rather than in a workspace."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.slack import actions, notices
from bot.slack import messages as text
from bot.slack.mrkdwn import md, safe, truncate
from bot.workflow.model import BuildView, ReleaseView, Running
from storage.models import ReleaseState

MAX_FIELDS = 10
MAX_SECTION_TEXT = 3000


def as_payload(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    """Validate and serialise; ``validate_json`` raises on anything Slack would reject."""
    out = []
    for block in blocks:
        block.validate_json()
        out.append(block.to_dict())
    return out


def _md(s: str) -> MarkdownTextObject:
    """Every text object goes through here: plain text is escaped (``safe``), markup is kept,
    and a long text is cut without splitting an entity."""
    return MarkdownTextObject(text=truncate(safe(s), MAX_SECTION_TEXT))


def _section(s: str) -> SectionBlock:
    return SectionBlock(text=_md(s))


def _context(*lines: str) -> ContextBlock:
    return ContextBlock(elements=[_md(line) for line in lines])


def build_announcement(build: BuildView, auto_environments: tuple[str, ...]) -> list[Block]:
    blocks: list[Block] = [
        _section(notices.build_title(build)),
        _context(notices.build_details(build)),
    ]
    if build.changelog:
        blocks.append(_section(notices.changelog(build)))
    if auto_environments:
        blocks.append(_context(notices.auto_deploys(auto_environments)))
    buttons = [
        ButtonElement(
            text=notices.deploy_button(env),
            action_id=actions.deploy_action_id(env),
            value=actions.deploy_value(build.service, build.version, env),
        )
        for env in build.environments
        if env not in auto_environments
    ]
    if buttons:
        blocks.append(ActionsBlock(block_id="deploy", elements=buttons[:25]))
    return blocks


def _release_buttons(r: ReleaseView) -> ActionsBlock | None:
    value = actions.release_value(r.id)
    if r.state is ReleaseState.AWAITING_APPROVAL:
        return ActionsBlock(
            block_id="vote",
            elements=[
                ButtonElement(
                    text="Approve", action_id=actions.APPROVE, value=value, style="primary"
                ),
                ButtonElement(text="Reject", action_id=actions.REJECT, value=value, style="danger"),
            ],
        )
    if r.state is ReleaseState.REQUESTED and r.policy == "manual":
        return ActionsBlock(
            block_id="confirm",
            elements=[
                ButtonElement(
                    text="Confirm", action_id=actions.CONFIRM, value=value, style="primary"
                ),
                ButtonElement(text="Cancel", action_id=actions.CANCEL, value=value),
            ],
        )
    return None


def release_message(r: ReleaseView) -> list[Block]:
    """The thread's parent: the first line says the state, the rest what and how far."""
    blocks: list[Block] = [_section(text.state_line(r))]
    banner = text.break_glass_banner(r)
    if banner:
        blocks.append(_section(banner))
    blocks.append(_context(text.request_details(r)))
    if r.progress is not None and r.state not in {
        ReleaseState.REQUESTED,
        ReleaseState.AWAITING_APPROVAL,
    }:
        p = r.progress
        bar = text.progress_bar(p)
        blocks.append(_section(md("{bar}\n_{m}_", bar=bar, m=p.message) if p.message else bar))
        blocks.append(SectionBlock(fields=[_md(f) for f in text.progress_fields(p)]))
    detail = text.outcome_detail(r)
    if detail:
        blocks.append(_section(detail))
    hint = text.policy_hint(r)
    if hint:
        blocks.append(_section(hint))
    buttons = _release_buttons(r)
    if buttons is not None:
        blocks.append(buttons)
    expiry = text.expiry_hint(r)
    if expiry:
        blocks.append(_context(expiry))
    return blocks


def notice(body: str) -> list[Block]:
    return [_section(body)]


def home(
    rolling: Sequence[ReleaseView],
    waiting: Sequence[ReleaseView],
    running: Sequence[Running],
    now: datetime,
) -> list[Block]:
    """App Home: what moves, what waits for whom, what runs where. Slack allows 100 blocks."""
    blocks: list[Block] = [_section(notices.HOME_ROLLING_OUT)]
    if rolling:
        for r in rolling[:15]:
            line = text.state_line(r)
            if r.progress is not None:
                line += "\n" + text.progress_bar(r.progress)
            blocks.append(_section(line))
    else:
        blocks.append(_context(notices.HOME_NOTHING_ROLLING))
    blocks += [DividerBlock(), _section(notices.HOME_WAITING)]
    if waiting:
        for r in waiting[:15]:
            hint = text.policy_hint(r)
            line = text.state_line(r)
            blocks.append(_section(md("{line}\n{hint}", line=line, hint=hint) if hint else line))
    else:
        blocks.append(_context(notices.HOME_NOTHING_WAITING))
    blocks += [DividerBlock(), _section(notices.HOME_RUNNING)]
    if running:
        for chunk_start in range(0, min(len(running), 50), MAX_FIELDS):
            chunk = running[chunk_start : chunk_start + MAX_FIELDS]
            blocks.append(SectionBlock(fields=[_md(_running_field(x, now)) for x in chunk]))
    else:
        blocks.append(_context(notices.HOME_NOTHING_RUNNING))
    blocks += [DividerBlock(), _context(notices.HOME_FOOTER)]
    return blocks


def _running_field(x: Running, now: datetime) -> str:
    return notices.running_field(
        x.service,
        x.environment,
        x.version or x.image or "unknown",
        x.revision,
        notices.since(x.since, now),
        x.by,
    )
