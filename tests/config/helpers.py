"""A small valid configuration that each invalid case changes in one place."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

BASE: dict[str, Any] = {
    "timezone": "Europe/Berlin",
    "clusters": {"prod": {"context": "prod-eu"}},
    "environments": {
        "staging": {"cluster": "prod", "namespace": "staging", "policy": "auto"},
        "production": {
            "cluster": "prod",
            "namespace": "apps",
            "policy": "approval",
            "approvals": {"required": 2, "approvers": ["U024BE7LH", "U0G9QF9C6"]},
            "promote_from": "staging",
            "freezes": [{"name": "weekend", "cron": "0 16 * * fri", "duration": "65h"}],
        },
    },
    "services": {
        "api": {
            "channel": "C0456API",
            "deployment": "api",
            "image": "registry.example.com/shop/api",
        }
    },
}


def base() -> dict[str, Any]:
    return copy.deepcopy(BASE)


def write(tmp_path: Path, data: object, name: str = "releasebot.yml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path
