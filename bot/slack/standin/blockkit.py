"""Block Kit checks with slack_sdk's own models, so the stand-in refuses what Slack would refuse."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.attachments import Attachment
from slack_sdk.models.blocks import Block


def decoded(value: Any) -> Any:
    """Form-encoded calls carry blocks, attachments and views as JSON strings."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def block_problems(blocks: Any) -> list[str]:
    if blocks is None:
        return []
    if not isinstance(blocks, list):
        return [f"blocks must be a list, got {type(blocks).__name__}"]
    problems = []
    for i, raw in enumerate(blocks):
        try:
            block = Block.parse(raw)
            if block is None:
                raise ValueError(f"unknown block {raw!r}")
            block.validate_json()
        except Exception as e:  # slack_sdk raises TypeError, KeyError, SlackObjectFormationError...
            problems.append(f"blocks[{i}]: {type(e).__name__}: {e}")
    return problems


def attachment_problems(attachments: Any) -> list[str]:
    if attachments is None:
        return []
    if not isinstance(attachments, list):
        return ["attachments must be a list"]
    problems = []
    for i, raw in enumerate(attachments):
        try:
            Attachment(**raw).validate_json()
        except Exception as e:
            problems.append(f"attachments[{i}]: {type(e).__name__}: {e}")
    return problems
