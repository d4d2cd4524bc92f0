"""Every text a person reads from the slash commands, in one place so they read as a set.

Each refusal says what was wrong and shows a command that would work.
"""

from __future__ import annotations

DEPLOY_USAGE = (
    "/deploy <service> <version | image> [to] <environment> [break-glass] [because <reason>]"
)
DEPLOY_EXAMPLE = "/deploy api 1.4.2 to production because the checkout fix"
BREAK_GLASS_EXAMPLE = "/deploy api 1.4.3 to production break-glass because checkout is down"
ROLLBACK_USAGE = "/rollback <service> <environment> [to <version> | revision <n>]"
ROLLBACK_EXAMPLE = "/rollback api production to 1.4.1"
RELEASES_USAGE = "/releases [service] [environment]  ·  /releases history <service> <environment>"
RELEASES_EXAMPLE = "/releases history api production"

DEPLOY_HELP = (
    "*Deploy a version or an image*\n"
    "`{usage}`\n"
    "For example: `{example}`\n"
    "Services: {services}\n"
    "Environments: {environments}\n"
    "A version is one CI announced; an image must be pinned by digest "
    "(`…@sha256:…`) and come from the service's repository.\n"
    "{break_glass}"
)
DEPLOY_HELP_BREAK_GLASS = (
    ":rotating_light: *Break-glass* (emergencies only): add `break-glass because <reason>`, "
    "e.g. `{example}`. It needs the environment's break-glass approvers, skips freezes and "
    "`promote_from`, and is announced in the service channel and audited. "
    "Possible in: {environments}."
)
NONE_CONFIGURED = "no environment yet (set `break_glass` on one in releasebot.yml)"
BREAK_GLASS_NEEDS_REASON = (
    "A break-glass deploy needs a reason: say what is broken after `because`; it is announced "
    "in the channel and written to the audit log."
)

WRONG_SHAPE = "{problem}\nUse `{usage}`, for example `{example}`."
MISSING_PARTS = "`{command}` needs {needed}."
TOO_MANY_PARTS = "`{command}` got more words than it understands: `{extra}`."
EMPTY_REASON = "`because` must be followed by a reason."

UNKNOWN_SERVICE = "There is no service `{name}`. Services: {known}."
UNKNOWN_ENVIRONMENT = "There is no environment `{name}`. Environments: {known}."

VALUE_TOO_LONG = "The {what} is {length} characters long; at most {limit} are allowed."
VALUE_LEADING_DASH = "The {what} `{shown}` starts with `-`; it must start with a letter or digit."
VALUE_CONTROL = "The {what} contains a control character, which is never allowed."
VALUE_BAD_CHARACTER = "The {what} `{shown}` contains {char}; {allowed}."
ALLOWED_NAME = "a name is lower-case letters, digits and `-`"
ALLOWED_TARGET = (
    "a version or image is letters, digits and `.` `_` `-` `:` `/` `@` "
    "(e.g. `1.4.2` or `registry.example.com/shop/api@sha256:…`)"
)
BAD_REVISION = "`revision` needs a positive whole number, e.g. `revision 12`; got `{shown}`."

DEPLOY_REQUESTED = (
    "Requested *{service} {version}* → *{environment}* ({state}). "
    "Follow it in {channel}; release `{id}`."
)
BREAK_GLASS_REQUESTED = (
    ":rotating_light: Break-glass deploy of *{service} {version}* → *{environment}* requested "
    "({state}). It is announced in {channel} and waits for the break-glass approvers "
    "there; release `{id}`."
)
ROLLBACK_REQUESTED = (
    "Rollback of *{service}* in *{environment}* to *{version}* requested ({state}). "
    "Follow it in {channel}; release `{id}`."
)

RELEASES_NOTHING = "Nothing is recorded yet{scope}. Deploy with `{example}`."
RELEASES_RUNNING_HEADER = "*Running{scope}*"
RELEASES_RUNNING_LINE = "• {service} in {environment}: {version}{revision}{since}{by}"
RELEASES_UNKNOWN_VERSION = "nothing deployed by releasebot"
RELEASES_PENDING_HEADER = "*In progress*"
RELEASES_PENDING_LINE = "• {mark}{service} {version} → {environment}: {state}{waiting} (`{id}`)"
RELEASES_WAITING = ", {have}/{need} approvals from {approvers}"
RELEASES_HISTORY_HEADER = "*Last releases of {service} in {environment}*"
RELEASES_HISTORY_LINE = "• {when} {mark}{kind} {version}: {state}, by {user}{error}"
RELEASES_BREAK_GLASS = ":rotating_light: break-glass "
RELEASES_HISTORY_EMPTY = "No releases of {service} in {environment} yet."

INTERNAL_ERROR = (
    "releasebot could not finish `{command}` because of an internal error. "
    "Check `/releases` to see what happened before you try again."
)

SERVE_SOCKET = (
    "Slack: Socket Mode (SLACK_APP_TOKEN is set); no public endpoint is needed. Serving "
    "/hooks/build, /healthz and /readyz on http://{host}:{port}."
)
SERVE_STOPPED = (
    "releasebot serve stopped. Rollouts it was following carry on in the cluster; the next "
    "start (or, with several replicas, the leader) follows them again."
)
SERVE_SOCKET_REFUSED = (
    "releasebot serve did not start in Socket Mode: Slack answered {error!r} when asked for "
    "a socket (apps.connections.open). Check that SLACK_APP_TOKEN is this app's app-level "
    "token (xapp-…) with the connections:write scope."
)
SERVE_HTTP = (
    "Slack: HTTP mode (no SLACK_APP_TOKEN); serving /slack/events, /hooks/build, /healthz and "
    "/readyz on http://{host}:{port}."
)
SERVE_NO_BUILD_HOOK = (
    "releasebot serve did not start: RELEASEBOT_BUILD_HOOK_SECRET is not set; set it to the "
    "secret CI signs POST /hooks/build with (see docs/build-hook.md)."
)
SERVE_NO_BOT_USER = (
    "releasebot serve did not start: SLACK_BOT_TOKEN is not set; set the bot token (xoxb-…) "
    "from the app's OAuth & Permissions page."
)
SERVE_NO_MODE = (
    "releasebot serve did not start: Slack can reach it in two ways and neither is set up; "
    "set SLACK_APP_TOKEN (xapp-…) for Socket Mode (no public endpoint needed), or "
    "SLACK_SIGNING_SECRET for HTTP mode (Slack posts to /slack/events)."
)
SERVE_SLACK_REFUSED_BOT = (
    "releasebot serve did not start: Slack at {url} refused the bot token (auth.test answered "
    "{error!r}); check that SLACK_BOT_TOKEN is this app's bot token (xoxb-…) and that the app "
    "is installed in the workspace."
)
SERVE_SLACK_UNREACHABLE = (
    "releasebot serve did not start: Slack's Web API at {url} did not answer auth.test "
    "({reason}); check the network, a proxy, and SLACK_API_URL if it is set."
)

SIM_STOPPED = "Simulated cluster stopped; its kubeconfig {kubeconfig} is removed."

DB_MISSING = (
    "{url}: there is no database file {path}, so nothing was checked. Create it with "
    "`releasebot db upgrade`, or point RELEASEBOT_DATABASE_URL at the database "
    "`releasebot serve` uses."
)
DB_NOT_MIGRATED = (
    "{url}: the database has no releasebot tables (this release needs schema revision {head}), "
    "so nothing was checked. Run `releasebot db upgrade` first, or point "
    "RELEASEBOT_DATABASE_URL at the database `releasebot serve` uses."
)
DB_OUTDATED = (
    "{url}: the schema is at revision {current} and this release needs {head}, so nothing "
    "was checked. Run `releasebot db upgrade` first."
)
