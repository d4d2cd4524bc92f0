"""The base class of every configuration model, and the way a model-level check names its key."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

PROBLEM_TYPE = "releasebot_problem"
REFERENCES_TYPE = "releasebot_references"


class ConfigModel(BaseModel):
    """Frozen because the workflow shares one validated configuration across threads."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def problem_at(key: str | None, message: str) -> PydanticCustomError:
    """A check that spans several keys still reports the one key a person should change.

    Pydantic puts a model validator's error on the model itself; `key` is appended to that
    location when the error is translated (see `bot.config.errors`).
    """
    return PydanticCustomError(PROBLEM_TYPE, "{message}", {"message": message, "key": key})
