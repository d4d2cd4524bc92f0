"""Every text the demo console prints, in one place so they read as a set.

Each says what happened and, where the person has to act, what to type next.
"""

from __future__ import annotations

STARTING = "Starting releasebot demo: a simulated cluster, a database and the bot…"
BANNER = """\
releasebot demo: the real bot, on a simulated Kubernetes cluster, with Slack played here.
  channel  #{channel}: services {services}; staging deploys by itself,
           production needs 2 approvals (from alice, bob or @{group})
  you are  @{you}; switch with /as <name> ({people})
  cluster  {cluster_url} (kubectl --kubeconfig {kubeconfig} get deployments -A)
  database {database}
Try:  /build api 1.4.3   then  wait   then  /deploy api 1.4.3 to production
      then  /as alice  click approve  /as carol  react ✅  wait
Type help for everything, quit (or Ctrl-D) to stop."""
STOPPING = "Stopping the demo…"
STOPPED = "Stopped; nothing is left running."
DATABASE_KEPT = "The database stays in {path}; `releasebot demo --db {path}` continues from it."
FAILED = "releasebot demo: {error}"
NOT_READY = (
    "The sample Deployments did not become available within {seconds:g} s; the demo cannot "
    "start. This is a bug in the demo: please report it with the output above."
)

HELP = """\
Type what a person in Slack would do; the console sends it to the bot as Slack would
(signed slash commands, button clicks and reactions over HTTP). You are @{you}. Typed in
this order, the examples below make a release; a click or a reaction first waits (up to
{answer:g} s) until the bot has answered the lines before it.

  /build api 1.4.3 [changes…]       CI announces a build (a signed POST /hooks/build)
  wait [seconds]                    wait until the bot is idle: no rollout running and the
                                    channel up to date (at most {wait:g} s unless you say)
  /deploy api 1.4.3 to production   a slash command, as you (also /rollback, /releases;
                                    /deploy help lists the services and environments)
  /as alice                         act as someone else: {people}
  click approve [#n]                press a button by its label or number, on the latest
                                    message that has it (or on message #n)
  react ✅ [#n]                      react on the latest request (or #n): ✅ approves, ❌ rejects
  show                              the channel as it is now, each message once
  home                              the bot's App Home tab as you see it in Slack: what rolls
                                    out, what waits for whom, what runs where
  break api                         make the next /build of api a bad image (its pods never
                                    start): watch the rollout fail and roll back by itself
  people                            who is who
  help                              this list
  quit                              stop the demo (Ctrl-D and Ctrl-C do too)

Messages are numbered (#3); a message edited in place is printed again, marked "edited".
Buttons show as [1 Approve]; lines starting with # are ignored (comments in scripts)."""

PEOPLE_HEADER = "People in this demo (you are @{you}):"
PERSON = "  {marker} {name:<6} {role}"
NOW_ACTING_AS = "You are now @{name} ({role})."
ALREADY = "You are already @{name}."
AS_NEEDS_NAME = "Say who to act as: /as <name>, one of {people}."
NO_SUCH_PERSON = "There is nobody called '{name}' in this demo. People: {people}."

UNKNOWN_COMMAND = (
    "The console does not know '{word}'. Type help for what it understands; "
    "Slack's slash commands start with / (for example /deploy help)."
)
UNKNOWN_SLASH = (
    "There is no {command} in this workspace. Slash commands: {commands}, and the console's "
    "own /as and /build. Type help for examples."
)

BUILD_USAGE = (
    "Use /build <service> <version> [changes…], for example /build api 1.4.3 fix checkout."
)
BUILD_UNKNOWN_SERVICE = "There is no service '{service}'. Services: {services}."
BUILD_SENT = "CI announces {service} {version}{bad} (POST /hooks/build answered {status})."
BUILD_BAD_SUFFIX = ", a bad image whose pods never start"
BUILD_REFUSED = "The build hook refused {service} {version} ({status}): {reason}"

BREAK_USAGE = "Use break <service>, for example break api. Services: {services}."
BREAK_SET = (
    "The next /build of {service} will be a bad image: its pods never start, the rollout misses "
    "its {deadline} s progress deadline and releasebot rolls it back. Try /build {service} "
    "<version>, then wait."
)

BUTTON_HINT = "↳ type: click {label}  or  click {number}"
CLICK_USAGE = "Use click <label or number> [#n], for example click approve or click 1."
NO_BUTTONS = (
    "No message has buttons right now. Buttons come with build announcements (Deploy to …) "
    "and with requests that need approval. Messages: {messages}."
)
NO_REQUEST = (
    "No message waits for approval, so a reaction would count for nothing. Messages: "
    "{messages}. React on one of them with react <emoji> #n."
)
NONE_YET = "none yet"
NO_SUCH_BUTTON = "No message has a button '{label}'. Buttons now: {buttons}."
NO_SUCH_BUTTON_ON = "#{number} has no button '{label}'. Its buttons: {buttons}."
NO_BUTTONS_ON = "#{number} has no buttons (any more)."
NO_SUCH_MESSAGE = "There is no message #{number}; messages so far: #1 to #{last}."
NO_MESSAGES = "There are no messages yet; start with /build api 1.4.3."
CLICKED = "@{user} clicks [{label}] on #{number}."

REACT_USAGE = "Use react <emoji> [#n], for example react ✅ or react ❌ #3."
REACTED = "@{user} reacts {emoji} on #{number}."

WAIT_USAGE = "Use wait or wait <seconds>, for example wait 30."
IDLE = "(the bot is idle)"
STILL_BUSY = (
    "The bot is still busy after {seconds:g} s (a rollout is running or Slack is not up to "
    "date yet). Type wait again, or carry on."
)

UNREACHABLE = (
    "The bot's HTTP endpoint did not answer ({error}); nothing was sent. Try again, or stop "
    "the demo with quit and start it again."
)
SLACK_REFUSED = "Slack's request was refused by the bot with HTTP {status}: {body}"
SENT_NOTHING = "Nothing to send: the line is empty."

HOME_HEADER = "App Home of releasebot, as @{you} sees it:"
HOME_NOT_PUBLISHED = (
    "The bot did not publish the App Home within {seconds:g} s of it being opened. Type home "
    "again; if it stays away, the bot's log says why."
)

SHOW_EMPTY = "#{channel} is empty so far."
SHOW_HEADER = "#{channel} as it is now:"
