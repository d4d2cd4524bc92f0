"""Configuration: secrets from the environment (`settings`), everything else from releasebot.yml."""

from bot.config.approvals import Approvals, BreakGlass
from bot.config.durations import format_duration, parse_duration
from bot.config.errors import ConfigError
from bot.config.fields import IntOrPercent
from bot.config.freezes import Freeze
from bot.config.loading import check_config, load_config, parse_config
from bot.config.schema import Cluster, Environment, ReleasebotConfig, UnknownNameError
from bot.config.service import Objective, Service, Slo, Strategy
from bot.config.settings import Settings, load_settings

__all__ = [
    "Approvals",
    "BreakGlass",
    "Cluster",
    "ConfigError",
    "Environment",
    "Freeze",
    "IntOrPercent",
    "Objective",
    "ReleasebotConfig",
    "Service",
    "Settings",
    "Slo",
    "Strategy",
    "UnknownNameError",
    "check_config",
    "format_duration",
    "load_config",
    "load_settings",
    "parse_config",
    "parse_duration",
]
