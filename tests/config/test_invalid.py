"""Each mistake is reported with the file, the key path, what was found and what is allowed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.config import check_config
from tests.config.helpers import base, write

Mutate = Callable[[dict[str, Any]], None]


def env(name: str, **changes: Any) -> Mutate:
    def apply(data: dict[str, Any]) -> None:
        for key, value in changes.items():
            if value is None:
                del data["environments"][name][key]
            else:
                data["environments"][name][key] = value

    return apply


def service(**changes: Any) -> Mutate:
    def apply(data: dict[str, Any]) -> None:
        data["services"]["api"].update(changes)

    return apply


def top(**changes: Any) -> Mutate:
    return lambda data: data.update(changes)


def approvals(**changes: Any) -> Mutate:
    return lambda data: data["environments"]["production"]["approvals"].update(changes)


def freeze(window: dict[str, Any]) -> Mutate:
    return env("production", freezes=[window])


P = "environments.production"
CASES: list[tuple[str, Mutate, str, str]] = [
    (
        "unknown key in a list item",
        freeze({"name": "w", "cron": "0 16 * * fri", "duration": "1h", "reason": "x"}),
        f"{P}.freezes[0]",
        "unknown key 'reason' (allowed: name, cron, duration, start, end, timezone)",
    ),
    (
        "unknown key in approvals",
        approvals(expires="1h"),
        f"{P}.approvals",
        "unknown key 'expires' (allowed: required, approvers, expire_after)",
    ),
    (
        "over-long channel",
        service(channel="C" + "A" * 300),
        "services.api.channel",
        "found 'C" + "A" * 55 + "..., allowed: a Slack channel ID",
    ),
    (
        "unknown key",
        env("staging", polcy="auto"),
        "environments.staging",
        "unknown key 'polcy' (allowed: cluster, namespace, policy, approvals, rollback_approvals, "
        "break_glass, promote_from, on_failure, progress_timeout, freezes)",
    ),
    (
        "audit head posted too often",
        top(audit={"channel": "C0AUDIT01", "post_head_every": "10s"}),
        "audit.post_head_every",
        "must be at least 1m",
    ),
    (
        "audit channel that is a name",
        top(audit={"channel": "#audit"}),
        "audit.channel",
        "",
    ),
    (
        "unknown top-level key",
        top(service={}),
        "(top level)",
        "unknown key 'service' (allowed: timezone, clusters, environments, services, audit)",
    ),
    (
        "bad timezone",
        top(timezone="Europe/Berlinn"),
        "timezone",
        "found 'Europe/Berlinn', allowed: an IANA time zone name",
    ),
    (
        "missing key",
        env("staging", namespace=None),
        "environments.staging.namespace",
        "missing required key",
    ),
    (
        "bad policy",
        env("staging", policy="yolo"),
        "environments.staging.policy",
        "found 'yolo', allowed: auto, manual, approval",
    ),
    (
        "bad namespace",
        env("staging", namespace="Staging_1"),
        "environments.staging.namespace",
        "found 'Staging_1', allowed: lower-case letters",
    ),
    (
        "unknown cluster",
        env("staging", cluster="dev"),
        "environments.staging.cluster",
        "found 'dev', allowed: a cluster defined under 'clusters' (prod)",
    ),
    (
        "approval policy without approvals",
        env("production", approvals=None),
        f"{P}.approvals",
        "policy is 'approval' but no 'approvals' are given: add approvals: {required: N, ",
    ),
    (
        "approvals on an auto environment",
        env("staging", approvals={"required": 1, "approvers": ["U024BE7LH"]}),
        "environments.staging.approvals",
        "only used when policy is 'approval'",
    ),
    (
        "required zero",
        approvals(required=0),
        f"{P}.approvals.required",
        "found 0, allowed: a number ≥ 1",
    ),
    (
        "required not a number",
        approvals(required="two"),
        f"{P}.approvals.required",
        "found 'two', allowed: a whole number",
    ),
    (
        "more required than approvers",
        approvals(required=3),
        f"{P}.approvals.required",
        "found 3, allowed: at most 2, the number of individual approvers",
    ),
    (
        "bad approver",
        approvals(approvers=["bob", "U024BE7LH"]),
        f"{P}.approvals.approvers[0]",
        "found 'bob', allowed: a Slack user ID",
    ),
    (
        "duplicate approver",
        approvals(approvers=["U024BE7LH", "U024BE7LH"]),
        f"{P}.approvals.approvers",
        "approver 'U024BE7LH' is listed twice",
    ),
    (
        "bad expire_after",
        approvals(expire_after="2 hours"),
        f"{P}.approvals.expire_after",
        "found '2 hours', allowed: a duration such as 90s",
    ),
    (
        "bare number duration",
        env("staging", progress_timeout=10),
        "environments.staging.progress_timeout",
        "found 10, allowed: a duration",
    ),
    (
        "promote from itself",
        env("staging", promote_from="staging"),
        "environments.staging.promote_from",
        "cannot promote from itself",
    ),
    (
        "promote from unknown",
        env("production", promote_from="qa"),
        f"{P}.promote_from",
        "found 'qa', allowed: an environment defined under 'environments' (staging, production)",
    ),
    (
        "promote_from cycle",
        env("staging", promote_from="production"),
        "environments.staging.promote_from",
        "promotion cycle staging → production → staging",
    ),
    (
        "bad on_failure",
        env("staging", on_failure="panic"),
        "environments.staging.on_failure",
        "found 'panic', allowed: rollback, pause, alert",
    ),
    (
        "bad cron",
        freeze({"name": "w", "cron": "61 16 * * fri", "duration": "1h"}),
        f"{P}.freezes[0].cron",
        "found '61 16 * * fri', allowed: a 5-field cron expression",
    ),
    (
        "cron with six fields",
        freeze({"name": "w", "cron": "0 0 16 * * fri", "duration": "1h"}),
        f"{P}.freezes[0].cron",
        "Wrong number of fields; got 6, expected 5",
    ),
    (
        "numeric weekday",
        freeze({"name": "w", "cron": "0 16 * * 5", "duration": "1h"}),
        f"{P}.freezes[0].cron",
        "found day of week '5': numbers are ambiguous",
    ),
    (
        "cron without duration",
        freeze({"name": "w", "cron": "0 16 * * fri"}),
        f"{P}.freezes[0]",
        "give either 'cron' with 'duration', or 'start' with 'end' (found: cron)",
    ),
    (
        "freeze end before start",
        freeze({"name": "x", "start": "2026-12-21T00:00", "end": "2026-12-20T00:00"}),
        f"{P}.freezes[0].end",
        "found end 2026-12-20T00:00 not after start 2026-12-21T00:00",
    ),
    (
        "freeze with a UTC offset",
        freeze({"name": "x", "start": "2026-12-21T00:00+01:00", "end": "2026-12-22T00:00"}),
        f"{P}.freezes[0].start",
        "without a UTC offset",
    ),
    (
        "freeze bad timezone",
        freeze(
            {
                "name": "x",
                "start": "2026-12-21T00:00",
                "end": "2026-12-22T00:00",
                "timezone": "CEST",
            }
        ),
        f"{P}.freezes[0].timezone",
        "found 'CEST', allowed: an IANA time zone name",
    ),
    (
        "cluster with two kinds",
        top(clusters={"prod": {"context": "a", "simulated": True}}),
        "clusters.prod",
        "give exactly one of 'context: <kubeconfig context>', 'in_cluster: true' "
        "or 'simulated: true' (found: context, simulated)",
    ),
    (
        "cluster name",
        top(clusters={"Prod": {"in_cluster": True}}),
        "clusters.Prod",
        "invalid name: found 'Prod', allowed: lower-case letters",
    ),
    (
        "channel name instead of ID",
        service(channel="#api"),
        "services.api.channel",
        "found '#api', allowed: a Slack channel ID (C… or G…)",
    ),
    (
        "image with tag",
        service(image="registry.example.com/shop/api:1.4"),
        "services.api.image",
        "with a tag or digest, allowed: an image repository",
    ),
    (
        "image upper case",
        service(image="registry.example.com/Shop/api"),
        "services.api.image",
        "must be lower-case",
    ),
    (
        "unknown service environment",
        service(environments=["staging", "prod"]),
        "services.api.environments[1]",
        "found 'prod', allowed: an environment defined",
    ),
    (
        "both zero",
        service(strategy={"max_surge": 0, "max_unavailable": "0%"}),
        "services.api.strategy.max_unavailable",
        "cannot both be zero",
    ),
    (
        "bad percentage",
        service(strategy={"max_surge": "lots"}),
        "services.api.strategy.max_surge",
        "found 'lots', allowed: a whole number ≥ 0 or a percentage",
    ),
    (
        "unavailable over 100%",
        service(strategy={"max_unavailable": "150%"}),
        "services.api.strategy.max_unavailable",
        "found '150%', allowed: at most 100%",
    ),
    (
        "deadline not above min ready",
        service(strategy={"min_ready_seconds": 30, "progress_deadline_seconds": 30}),
        "services.api.strategy.progress_deadline_seconds",
        "found 30, allowed: more than min_ready_seconds (30)",
    ),
    (
        "default container is not a label",
        service(deployment="api.v2"),
        "services.api.container",
        "set 'container' explicitly",
    ),
    (
        "slo target",
        service(
            slo={
                "prometheus": "http://p:9090",
                "objectives": [
                    {"name": "availability", "target": 100, "error_ratio": "x[{{window}}]"}
                ],
            }
        ),
        "services.api.slo.objectives[0].target",
        "found 100, allowed: a number < 100",
    ),
    (
        "slo without window placeholder",
        service(
            slo={
                "prometheus": "http://p:9090",
                "objectives": [
                    {"name": "availability", "target": 99.9, "error_ratio": "rate(x[5m])"}
                ],
            }
        ),
        "services.api.slo.objectives[0].error_ratio",
        "without '{{window}}'",
    ),
    (
        "slo prometheus url",
        service(
            slo={
                "prometheus": "prometheus:9090",
                "objectives": [{"name": "a", "target": 99, "error_ratio": "x[{{window}}]"}],
            }
        ),
        "services.api.slo.prometheus",
        "allowed: an http:// or https:// URL",
    ),
    (
        "slo on_breach",
        service(
            slo={
                "prometheus": "http://p",
                "on_breach": "cry",
                "objectives": [{"name": "a", "target": 99, "error_ratio": "x[{{window}}]"}],
            }
        ),
        "services.api.slo.on_breach",
        "found 'cry', allowed: rollback, pause, alert",
    ),
    ("no services", top(services={}), "services", "found 0 item(s), allowed: at least 1"),
]


@pytest.mark.parametrize(
    ("mutate", "key_path", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_invalid_config_names_file_key_and_allowed(
    tmp_path: Path, mutate: Mutate, key_path: str, expected: str
) -> None:
    data = base()
    mutate(data)
    path = write(tmp_path, data)
    problems = check_config(path)
    matching = [p for p in problems if p.startswith(f"{path}:") and f": {key_path}: " in p]
    assert matching, f"no problem at {key_path!r} in {problems}"
    assert any(expected in p for p in matching), problems
