"""What every text releasebot hands to Slack must satisfy, checked on the payloads themselves.

Slack reads ``<…>`` as an entity and ``&…;`` as an escape in every mrkdwn text and in a
message's top-level ``text``. ``entity_problems`` walks a Web API call's arguments and lists
each entity that is not one the test allowed, each double escape, and each raw ``&`` that
does not start an escape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

HOSTILE = "<!channel> <!here> <@U0ALICE> <https://evil.example/login|approve here> & co"
"""A reason, a branch, a changelog line, a Kubernetes message... that tries to ping and phish."""

HOSTILE_ESCAPED = (
    "&lt;!channel&gt; &lt;!here&gt; &lt;@U0ALICE&gt; "
    "&lt;https://evil.example/login|approve here&gt; &amp; co"
)

_ENTITY = re.compile(r"<([^<>]*)>")
_AMP = re.compile(r"&(?!(?:amp|lt|gt);)")


def texts(value: Any) -> Iterator[str]:
    """Every string Slack renders as mrkdwn in a call's arguments (blocks may be JSON text)."""
    if isinstance(value, str):
        if value.startswith("[{") or value.startswith('{"'):
            try:
                yield from texts(json.loads(value))
                return
            except ValueError:
                pass
        yield value
    elif isinstance(value, dict):
        if value.get("type") == "plain_text":
            return
        for key, item in value.items():
            if key in {"text", "blocks", "fields", "elements", "view"} or isinstance(
                item, (dict, list)
            ):
                yield from texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from texts(item)


def entity_problems(args: dict[str, Any], allowed: Iterable[str]) -> list[str]:
    """``allowed``: regular expressions an entity's inside must fully match."""
    patterns = [re.compile(a) for a in allowed]
    problems = []
    for text in texts({k: v for k, v in args.items() if k in {"text", "blocks", "view"}}):
        for match in _ENTITY.finditer(text):
            if not any(p.fullmatch(match.group(1)) for p in patterns):
                problems.append(f"entity <{match.group(1)}> in {text!r}")
        for bad in ("&amp;lt;", "&amp;gt;", "&amp;amp;"):
            if bad in text:
                problems.append(f"escaped twice ({bad}) in {text!r}")
        if _AMP.search(text):
            problems.append(f"a raw & in {text!r}")
    return problems
