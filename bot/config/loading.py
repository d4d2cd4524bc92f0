"""Reading releasebot.yml: parse safely, validate, and report every problem in one pass."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import ValidationError

from bot.config import messages
from bot.config.base import REFERENCES_TYPE
from bot.config.errors import ConfigError, Problem, from_references, translate
from bot.config.references import reference_problems
from bot.config.schema import ReleasebotConfig
from bot.config.yamlpos import compose, duplicates, line_of


def load_config(path: str | Path) -> ReleasebotConfig:
    """The validated configuration, or `ConfigError` whose `.problems` lists every mistake."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise ConfigError([messages.FILE_UNREADABLE.format(file=file, reason=reason)]) from err
    return parse_config(text, file)


def check_config(path: str | Path) -> list[str]:
    """What `releasebot check-config` prints: one line per problem, empty when the file is good."""
    try:
        load_config(path)
    except ConfigError as err:
        return err.problems
    return []


def parse_config(text: str, file: str = "<config>") -> ReleasebotConfig:
    try:
        data = yaml.safe_load(text)
        root = compose(text)
    except yaml.YAMLError as err:
        raise ConfigError([_syntax(err, file)]) from err
    problems: list[Problem] = [
        Problem(d.loc, messages.YAML_DUPLICATE_KEY.format(key=d.key, first=d.first_line), d.line)
        for d in duplicates(root)
    ]
    if not isinstance(data, Mapping):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ConfigError([f"{file}: {messages.NOT_A_MAPPING.format(found=found)}"])
    config: ReleasebotConfig | None = None
    try:
        config = ReleasebotConfig.model_validate(data)
    except ValidationError as err:
        errors = err.errors()
        problems.extend(translate(errors, ReleasebotConfig))
        if not any(e["type"] == REFERENCES_TYPE for e in errors):
            # The cross-section checks did not run; run them on the raw mapping instead.
            problems.extend(from_references(reference_problems(data)))
    if problems:
        lines = text.splitlines()
        located = [
            _comment_hint(
                p if p.line is not None else Problem(p.loc, p.message, line_of(root, p.loc)),
                lines,
            )
            for p in problems
        ]
        located.sort(key=lambda p: p.line or 0)
        raise ConfigError(list(dict.fromkeys(p.render(file) for p in located)))
    assert config is not None
    return config


_COMMENTED_VALUE = re.compile(r"^\s*(?:-\s+)?([\w.-]+):[ \t]+(#\S*)")


def _comment_hint(problem: Problem, lines: list[str]) -> Problem:
    """``channel: #api-releases`` is a key with no value to YAML (a space and ``#`` start a
    comment), so the check reports ``found None``; say why, and how to keep the ``#``."""
    if problem.line is None or not 1 <= problem.line <= len(lines):
        return problem
    found = _COMMENTED_VALUE.match(lines[problem.line - 1])
    if found is None or "None" not in problem.message:
        return problem
    key, value = found.groups()
    hint = messages.COMMENT_NOT_VALUE.format(key=key, value=value)
    return Problem(problem.loc, f"{problem.message} ({hint})", problem.line)


def _syntax(err: yaml.YAMLError, file: str) -> str:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    problem = getattr(err, "problem", None) or str(err)
    if mark is None:
        return f"{file}: YAML syntax error: {problem}"
    return messages.YAML_SYNTAX.format(
        file=file, line=mark.line + 1, column=mark.column + 1, problem=problem
    )
