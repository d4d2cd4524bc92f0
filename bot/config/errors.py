"""Turning validation failures into one line per problem: file, line, key path, found, allowed."""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from bot.config import messages
from bot.config.base import PROBLEM_TYPE, REFERENCES_TYPE
from bot.config.references import Reference

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    loc: Loc
    message: str
    line: int | None = None

    def render(self, file: str) -> str:
        where = f"{file}:{self.line}" if self.line is not None else file
        return f"{where}: {format_path(self.loc)}: {self.message}"


class ConfigError(Exception):
    """The configuration cannot be used; `problems` holds one printable line per mistake."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def format_path(loc: Loc) -> str:
    if not loc:
        return "(top level)"
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def show(value: object) -> str:
    """A short rendering of what was found; long values are cut so a message stays one line."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value) if not isinstance(value, bool) else str(value).lower()
    return text if len(text) <= 60 else text[:57] + "..."


def translate(errors: Iterable[ErrorDetails], root: type[BaseModel]) -> list[Problem]:
    problems: list[Problem] = []
    for error in errors:
        loc: Loc = tuple(error["loc"])
        ctx: dict[str, Any] = dict(error.get("ctx") or {})
        kind = error["type"]
        if kind == PROBLEM_TYPE:
            key = ctx.get("key")
            problems.append(Problem((*loc, key) if key else loc, str(ctx["message"])))
        elif kind == REFERENCES_TYPE:
            problems.extend(from_references(ctx["problems"]))
        elif loc and loc[-1] == "[key]":
            problems.append(Problem(loc[:-1], "invalid name: " + _message(kind, error, ctx)))
        elif kind == "extra_forbidden":
            allowed = ", ".join(allowed_keys(root, loc[:-1])) or "none"
            problems.append(
                Problem(loc[:-1], messages.UNKNOWN_KEY.format(key=loc[-1], allowed=allowed))
            )
        elif kind == "missing":
            problems.append(Problem(loc, messages.MISSING))
        else:
            problems.append(Problem(loc, _message(kind, error, ctx)))
    return problems


def from_references(found: Iterable[Reference]) -> list[Problem]:
    return [Problem(r.loc, r.message) for r in found]


def _found(error: ErrorDetails, allowed: str) -> str:
    return messages.FOUND_ALLOWED.format(found=show(error.get("input")), allowed=allowed)


_ALLOWED: dict[str, Callable[[dict[str, Any]], str]] = {
    "literal_error": lambda c: str(c["expected"]).replace("' or '", "', '").replace("'", ""),
    "greater_than_equal": lambda c: f"a number ≥ {c['ge']}",
    "greater_than": lambda c: f"a number > {c['gt']}",
    "less_than_equal": lambda c: f"a number ≤ {c['le']}",
    "less_than": lambda c: f"a number < {c['lt']}",
    "int_type": lambda c: "a whole number",
    "float_type": lambda c: "a number",
    "bool_type": lambda c: "true or false",
    "string_type": lambda c: "a text",
    "dict_type": lambda c: "a mapping of keys",
    "model_type": lambda c: "a mapping of keys",
    "model_attributes_type": lambda c: "a mapping of keys",
    "list_type": lambda c: "a list",
    "too_short": lambda c: f"at least {c['min_length']} item(s)",
    "too_long": lambda c: f"at most {c['max_length']} item(s)",
    "string_too_short": lambda c: f"at least {c['min_length']} character(s)",
    "string_too_long": lambda c: f"at most {c['max_length']} characters",
    "string_pattern_mismatch": lambda c: "a single line of printable text",
    "url_scheme": lambda c: "an http:// or https:// URL",
    "url_parsing": lambda c: "an http:// or https:// URL",
    "path_type": lambda c: "a file path",
}


def _message(kind: str, error: ErrorDetails, ctx: dict[str, Any]) -> str:
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if kind in ("too_short", "too_long"):
        return messages.FOUND_ALLOWED.format(
            found=f"{ctx.get('actual_length', '?')} item(s)", allowed=_ALLOWED[kind](ctx)
        )
    if kind in _ALLOWED:
        return _found(error, _ALLOWED[kind](ctx))
    return f"found {show(error.get('input'))}: {error['msg']}"


def allowed_keys(root: type[BaseModel], loc: Loc) -> list[str]:
    model = _model_at(root, loc)
    return list(model.model_fields) if model is not None else []


def _strip(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            rest = [a for a in get_args(tp) if a is not type(None)]
            if len(rest) != 1:
                return tp
            tp = rest[0]
        else:
            return tp


def _model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """Follow field annotations down `loc`; dict keys and list indexes step into their items."""
    tp: Any = root
    for part in loc:
        tp = _strip(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part))
            if field is None:
                return None
            tp = field.annotation
        elif get_origin(tp) in (dict, list):
            tp = get_args(tp)[-1]
        else:
            return None
    tp = _strip(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None
