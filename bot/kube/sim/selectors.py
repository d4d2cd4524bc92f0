"""labelSelector and fieldSelector query parameters, parsed into predicates over objects.

Follows `apimachinery/pkg/labels/selector.go` and `fields/selector.go`: the set-based forms
(`in`, `notin`, exists, `!`) for labels, and `=`, `==`, `!=` on dotted paths for fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.kube.sim.apistatus import bad_request
from bot.kube.sim.store import Obj

Predicate = Callable[[Obj], bool]

_SET_RE = re.compile(r"^\s*(!?)\s*([^\s!=(),]+)\s*(?:(notin|in)\s*\(([^)]*)\))?\s*$")
_EQ_RE = re.compile(r"^\s*([^\s!=(),]+)\s*(==|!=|=)\s*([^\s!=(),]*)\s*$")


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not inside the parentheses of an `in (...)` set."""
    terms: list[str] = []
    depth = 0
    current = ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        terms.append(current)
    return [t for t in terms if t.strip()]


def _label_term(term: str) -> Predicate:
    eq = _EQ_RE.match(term)
    if eq:
        key, op, value = eq.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: key in labels and labels[key] == value
    match = _SET_RE.match(term)
    if not match:
        raise bad_request(f"unable to parse requirement: {term!r}")
    negate, key, op, values_text = match.groups()
    if op is None:
        if negate:
            return lambda labels: key not in labels
        return lambda labels: key in labels
    if negate:
        raise bad_request(f"unable to parse requirement: {term!r}")
    values = {v.strip() for v in values_text.split(",") if v.strip()}
    if op == "in":
        return lambda labels: key in labels and labels[key] in values
    return lambda labels: key not in labels or labels[key] not in values


def label_predicate(text: str) -> Predicate:
    terms = [_label_term(t) for t in _split_terms(text)]

    def matches(obj: Obj) -> bool:
        labels = obj.get("metadata", {}).get("labels") or {}
        return all(term(labels) for term in terms)

    return matches


def _field_value(obj: Obj, path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        if not isinstance(value, dict):
            return ""
        value = value.get(part)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def field_predicate(text: str) -> Predicate:
    terms: list[tuple[str, bool, str]] = []
    for term in _split_terms(text):
        eq = _EQ_RE.match(term)
        if not eq:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
        path, op, value = eq.groups()
        terms.append((path, op != "!=", value))

    def matches(obj: Obj) -> bool:
        return all((_field_value(obj, p) == v) == want for p, want, v in terms)

    return matches


def combined(label_text: str | None, field_text: str | None) -> Predicate:
    """The one predicate a list or watch filters with; raises ``ApiError`` (400) when unparsable."""
    checks: list[Predicate] = []
    if label_text:
        checks.append(label_predicate(label_text))
    if field_text:
        checks.append(field_predicate(field_text))
    return lambda obj: all(check(obj) for check in checks)
