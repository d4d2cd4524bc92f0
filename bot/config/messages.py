"""Every sentence a person reads about a bad configuration, kept together so they read as a set.

Each message says what was found and what is allowed, so the fix is obvious without the docs.
"""

from __future__ import annotations

# ruff: noqa: S105  (these are message templates that mention secrets by name, not secrets)

DNS_LABEL = (
    "lower-case letters, digits and '-', starting and ending with a letter or digit, at most "
    "63 characters"
)
DNS_SUBDOMAIN = "DNS-1123 labels joined by '.', at most 253 characters"
DURATION = "a duration such as 90s, 30m, 2h, 1d or 1h30m"
SLACK_USER = "a Slack user ID (U… or W…), a user-group handle '@name' or a user-group ID (S…)"
SLACK_CHANNEL = "a Slack channel ID (C… or G…), not a channel name"
INT_OR_PERCENT = "a whole number ≥ 0 or a percentage such as '25%'"
IMAGE_REPOSITORY = (
    "an image repository without tag or digest, such as registry.example.com/shop/api"
)
TIMEZONE = "an IANA time zone name such as Europe/Berlin or UTC"
LOCAL_DATETIME = "a local date and time such as 2026-12-21T00:00, without a UTC offset"

MISSING = "missing required key"
UNKNOWN_KEY = "unknown key {key!r} (allowed: {allowed})"
FOUND_ALLOWED = "found {found}, allowed: {allowed}"
COMMENT_NOT_VALUE = (
    "YAML reads '{value}' as a comment, leaving {key} empty; quote it to keep the '#': "
    '{key}: "{value}"'
)
CHECKED_VALID = (
    "{file}: configuration is valid: the YAML, every key and value, and the references "
    "between sections (clusters, environments, services) were checked."
)
CHECKED_PROBLEMS = (
    "{file}: {count} problem(s) in the YAML, its keys and values, or the references between "
    "sections; fix them and run `releasebot check-config {file}` again."
)
CHECKED_UNREADABLE = "{file}: the file could not be read, so nothing in it was checked."
YAML_SYNTAX = "{file}:{line}:{column}: YAML syntax error: {problem}"
YAML_DUPLICATE_KEY = "key {key!r} appears twice in this mapping (first on line {first}); keep one"
NOT_A_MAPPING = (
    "the file must hold a mapping of keys (timezone, clusters, environments, services), "
    "found {found}"
)
FILE_UNREADABLE = "{file}: cannot read the configuration file: {reason}"

CLUSTER_EXACTLY_ONE = (
    "give exactly one of 'context: <kubeconfig context>', 'in_cluster: true' or "
    "'simulated: true' (found: {found})"
)
CLUSTER_KUBECONFIG_NEEDS_CONTEXT = "'kubeconfig' is only used together with 'context'"
UNKNOWN_CLUSTER = "found {found!r}, allowed: a cluster defined under 'clusters' ({allowed})"
UNKNOWN_ENVIRONMENT = (
    "found {found!r}, allowed: an environment defined under 'environments' ({allowed})"
)
PROMOTE_FROM_SELF = "found {found!r}: an environment cannot promote from itself"
PROMOTE_CYCLE = (
    "promotion cycle {cycle}: every promotion chain must start at an environment without "
    "promote_from"
)
APPROVALS_REQUIRED = (
    "policy is 'approval' but no 'approvals' are given: add approvals: {required: N, "
    "approvers: [...]}"
)
APPROVALS_UNUSED = (
    "approvals are only used when policy is 'approval' (policy is {policy!r}); remove them "
    "or set policy: approval"
)
TOO_FEW_APPROVERS = (
    "found {required}, allowed: at most {count}, the number of individual approvers listed "
    "(add approvers or a user group)"
)
DUPLICATE_APPROVER = "approver {approver!r} is listed twice"
FREEZE_END_BEFORE_START = (
    "found end {end} not after start {start}: a freeze must end after it starts"
)
FREEZE_SHAPE = "give either 'cron' with 'duration', or 'start' with 'end' (found: {found})"
FREEZE_DUPLICATE = "freeze name {name!r} is used twice in this environment"
CRON_NUMERIC_WEEKDAY = (
    "found day of week {field!r}: numbers are ambiguous (cron counts 0 as Sunday, the "
    "scheduler as Monday); allowed: day names such as mon-fri, sat,sun or *"
)
CRON_INVALID = (
    "found {found!r}, allowed: a 5-field cron expression 'minute hour day month weekday' ({reason})"
)
BOTH_ZERO = (
    "max_surge and max_unavailable cannot both be zero: the rollout could never make progress"
)
DEADLINE_TOO_SHORT = (
    "found {deadline}, allowed: more than min_ready_seconds ({min_ready}), as Kubernetes requires"
)
WINDOW_PLACEHOLDER = (
    "found a query without '{{{{window}}}}', allowed: PromQL using the '{{{{window}}}}' "
    "placeholder, e.g. rate(x[{{{{window}}}}])"
)
DUPLICATE_OBJECTIVE = "objective name {name!r} is used twice"
CONTAINER_DEFAULT = (
    "container defaults to the deployment name {name!r}, which is not a valid container name "
    "({allowed}); set 'container' explicitly"
)

SECRET_PLACEHOLDER = "{var} holds a placeholder value; set the real secret (the value is not shown)"
SECRET_PREFIX = (
    "{var} must start with {prefix!r}; check that the right token is in the right variable "
    "(the value is not shown)"
)
SECRET_EMPTY = "{var} is set but empty; set the real secret or unset it"
SLACK_API_URL_INVALID = (
    "SLACK_API_URL must be an http:// or https:// URL such as https://slack.com/api/; "
    "fix it or unset it to use Slack's own"
)
SOCKET_MODE_NEEDS_APP_TOKEN = "Socket Mode needs SLACK_APP_TOKEN (an app-level token, xapp-…)"
HTTP_MODE_NEEDS_SIGNING_SECRET = (
    "HTTP mode needs SLACK_SIGNING_SECRET to verify that requests come from Slack"
)
BOT_TOKEN_MISSING = (
    "SLACK_BOT_TOKEN is not set; set the bot token (xoxb-…) from the app's OAuth page"
)

AUDIT_TOO_OFTEN = "must be at least 1m (the head is posted at most once a minute)"
