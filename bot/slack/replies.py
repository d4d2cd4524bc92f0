"""Texts the Slack listeners themselves answer with (not the slash commands': those live in
``commands/messages.py``)."""

from __future__ import annotations

OTHER_WORKSPACE = (
    "releasebot serves one Slack workspace only and this request came from another one; "
    "nothing was done. Ask in the workspace releasebot is installed in."
)
STORE_UNAVAILABLE = (
    "releasebot cannot reach its database right now, so nothing was done. "
    "Try again in a minute; if it persists, tell whoever runs releasebot."
)
BAD_BUTTON = (
    "This button was not made by this releasebot (or by an older version of it); nothing was "
    "done. Use `/releases` to see what is pending."
)
INTERNAL_ERROR = (
    "releasebot could not finish that because of an internal error. "
    "Check `/releases` to see what happened before you try again."
)
