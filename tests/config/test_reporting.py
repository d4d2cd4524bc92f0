"""How problems are reported: all at once, with lines, for YAML errors and odd files too."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, check_config, load_config
from tests.config.helpers import base, write


def test_base_config_is_valid(tmp_path: Path) -> None:
    assert check_config(write(tmp_path, base())) == []


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    data = base()
    data["timezone"] = "Nowhere/Land"
    data["environments"]["staging"]["cluster"] = "dev"
    data["environments"]["production"]["approvals"]["required"] = 0
    data["services"]["api"]["channel"] = "general"
    data["environments"]["staging"]["policy"] = "approval"
    data["environments"]["staging"]["freezes"] = [{"name": "x", "cron": "* * *", "duration": "1h"}]
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, data))
    paths = [p.split(": ")[1] for p in caught.value.problems]
    assert sorted(paths) == sorted(
        [
            "timezone",
            "environments.staging.cluster",
            "environments.production.approvals.required",
            "services.api.channel",
            "environments.staging.approvals",
            "environments.staging.freezes[0].cron",
        ]
    )


def test_problems_carry_the_line_of_the_key(tmp_path: Path) -> None:
    path = tmp_path / "releasebot.yml"
    path.write_text(
        "timezone: UTC\n"
        "clusters:\n"
        "  prod: {simulated: true}\n"
        "environments:\n"
        "  staging:\n"
        "    cluster: prod\n"
        "    namespace: staging\n"
        "    policy: sometimes\n"
        "services:\n"
        "  api: {channel: C0456API, deployment: api, image: shop/api, colour: red}\n",
        encoding="utf-8",
    )
    assert check_config(path) == [
        f"{path}:8: environments.staging.policy: found 'sometimes', "
        "allowed: auto, manual, approval",
        f"{path}:10: services.api: unknown key 'colour' (allowed: channel, deployment, container, "
        "image, environments, strategy, slo)",
    ]


def test_yaml_syntax_error_gives_the_line(tmp_path: Path) -> None:
    path = tmp_path / "releasebot.yml"
    path.write_text("timezone: UTC\nclusters:\n  prod: {simulated: true\nenvironments: {}\n")
    (problem,) = check_config(path)
    assert problem.startswith(f"{path}:4:")
    assert "YAML syntax error" in problem


def test_duplicate_keys_are_refused_with_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "releasebot.yml"
    path.write_text(
        "timezone: UTC\n"
        "clusters:\n"
        "  prod: {simulated: true}\n"
        "environments:\n"
        "  staging: {cluster: prod, namespace: staging, policy: auto}\n"
        "  staging: {cluster: prod, namespace: other, policy: auto}\n"
        "services:\n"
        "  api: {channel: C0456API, deployment: api, image: shop/api}\n"
    )
    assert check_config(path) == [
        f"{path}:6: environments: key 'staging' appears twice in this mapping (first on line 5); "
        "keep one"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", "found an empty file"), ("- a\n- b\n", "found a list")],
    ids=["empty", "list"],
)
def test_file_that_is_not_a_mapping(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "releasebot.yml"
    path.write_text(text)
    (problem,) = check_config(path)
    assert problem.startswith(f"{path}: the file must hold a mapping") and expected in problem


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yml"
    assert check_config(path) == [
        f"{path}: cannot read the configuration file: No such file or directory"
    ]


def test_yaml_tags_that_build_objects_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "releasebot.yml"
    path.write_text("timezone: !!python/object/apply:os.system ['true']\n")
    (problem,) = check_config(path)
    assert "YAML syntax error" in problem and "python/object" in problem
