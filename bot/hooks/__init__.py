"""Inbound webhooks (CI builds): authenticated and validated before anything else sees them.

Nothing here imports Slack or Kubernetes: a hook only turns signed bytes into a value that the
release workflow can trust, or refuses them with a status code and a reason.
"""

from bot.hooks.build import MAX_BODY_BYTES, BuildAnnouncement, verify_build_request
from bot.hooks.errors import HookRejected
from bot.hooks.routes import build_hook_router
from bot.hooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

__all__ = [
    "MAX_BODY_BYTES",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "BuildAnnouncement",
    "HookRejected",
    "build_hook_router",
    "sign",
    "verify_build_request",
]
