"""Where a key sits in the YAML text, so that each problem can point at its line.

Uses `yaml.compose` with the safe loader: it builds only the node graph (no Python objects),
which is also where duplicate keys are still visible; `safe_load` silently keeps the last one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import yaml

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Duplicate:
    loc: Loc
    key: str
    line: int
    first_line: int


def compose(text: str) -> yaml.Node | None:
    return yaml.compose(text, Loader=yaml.SafeLoader)


def line_of(root: yaml.Node | None, loc: Loc) -> int | None:
    """1-based line of the key at `loc`, or of the deepest part of `loc` that exists."""
    node = root
    line: int | None = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = next(
                (
                    (k, v)
                    for k, v in node.value
                    if isinstance(k, yaml.ScalarNode) and k.value == str(part)
                ),
                None,
            )
            if found is None:
                return line if line is not None else node.start_mark.line + 1
            line, node = found[0].start_mark.line + 1, found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def duplicates(root: yaml.Node | None) -> list[Duplicate]:
    return list(_walk(root, ()))


def _walk(node: yaml.Node | None, loc: Loc) -> Iterator[Duplicate]:
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key, value in node.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
            line = key.start_mark.line + 1
            if name in first:
                yield Duplicate(loc, name, line, first[name])
            else:
                first[name] = line
            yield from _walk(value, (*loc, name))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _walk(item, (*loc, index))
