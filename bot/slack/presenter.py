"""Workflow events become Slack messages: one parent per release, edited in place, with
milestones as replies in its thread.

The workflow publishes on its own thread after each commit, often many progress events a
second, so the presenter never blocks on a schedule: a parent edit that is not yet due
(2 s per release) is kept as the latest snapshot and sent by ``flush_due``, which runs on
every event and from the ticker (``start``), and the final state goes out at once. Slack
failures are logged and swallowed: losing a message must never undo a committed release.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.clock import Clock
from bot.slack import blocks as kit
from bot.slack import messages as text
from bot.slack import notices
from bot.slack.mrkdwn import safe
from bot.slack.pacing import ChannelPacer, QueuedPost
from bot.workflow.events import (
    ApprovalLapsed,
    AuditHeadReached,
    AutoDeployBlocked,
    BuildAnnounced,
    Event,
    ExternalChange,
    PodTrouble,
    ReleaseDecided,
    ReleaseRequested,
    RolloutFinished,
    RolloutProgressed,
    RolloutStarted,
    VoteRecorded,
)
from bot.workflow.model import ReleaseView

log = logging.getLogger(__name__)

EDIT_INTERVAL = timedelta(seconds=2)
TROUBLES_KEPT = 1000
"""Threads whose told pod troubles are remembered; a thread older than that is long over."""
POST_INTERVAL = timedelta(seconds=1)


class MessageMemory(Protocol):
    """The one thing the presenter needs from the workflow: where a release's parent is, so
    reactions on it count as votes."""

    def remember_message(self, release_id: uuid.UUID, channel: str, ts: str) -> None: ...


@dataclass
class _Thread:
    channel: str
    ts: str | None = None
    latest: ReleaseView | None = None
    dirty: bool = False
    shown_at: datetime | None = None
    shown: list[dict[str, Any]] | None = None
    borrowed: bool = False
    """Another release's message (an automatic rollback under the release that failed):
    replies go into its thread, its parent is never edited with this release's state."""


class SlackPresenter:
    """Implements bot.workflow.events.EventSink for Slack."""

    def __init__(
        self,
        client: WebClient,
        workflow: MessageMemory,
        clock: Clock,
        *,
        edit_interval: timedelta = EDIT_INTERVAL,
        post_interval: timedelta = POST_INTERVAL,
    ) -> None:
        self._client = client
        self._workflow = workflow
        self._clock = clock
        self._edit_interval = edit_interval
        self._pacer = ChannelPacer(post_interval)
        self._threads: dict[uuid.UUID, _Thread] = {}
        self._troubles: dict[uuid.UUID, set[tuple[str, str]]] = {}
        """(pod, reason) already told, per thread (the id of the release that owns it)."""
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._ticker: threading.Thread | None = None

    # -- EventSink ---------------------------------------------------------------------------

    def publish(self, event: Event) -> None:
        try:
            with self._lock:
                self._handle(event)
                self._flush_locked()
        except Exception:
            log.exception("presenting %s failed; the workflow carries on", type(event).__name__)

    def flush_due(self) -> int:
        """Send what is due: queued posts and parent edits older than the interval."""
        with self._lock:
            return self._flush_locked()

    def idle(self) -> bool:
        """Nothing waits to be posted and no posted parent waits for an edit: what Slack shows
        is the latest state (the demo console waits for this)."""
        with self._lock:
            return self._pacer.waiting() == 0 and not any(
                thread.dirty and thread.ts is not None for thread in self._threads.values()
            )

    # -- ticker ------------------------------------------------------------------------------

    def start(self, tick: float = 0.5) -> None:
        """Flush on the clock even when no event comes (a stalled rollout's last state)."""
        if self._ticker is not None:
            return
        self._ticker = threading.Thread(target=self._tick, args=(tick,), daemon=True)
        self._ticker.start()

    def close(self, timeout: float = 2.0) -> bool:
        """Stops the ticker, which notices at its next tick of the injected clock (with a
        ManualClock: the next ``advance``); True once it has stopped."""
        self._stopping.set()
        if self._ticker is not None:
            self._ticker.join(timeout)
            return not self._ticker.is_alive()
        return True

    def _tick(self, tick: float) -> None:
        while not self._stopping.is_set():
            self._clock.sleep(tick)
            if not self._stopping.is_set():
                try:
                    self.flush_due()
                except Exception:
                    log.exception("flushing Slack messages failed")

    # -- events ------------------------------------------------------------------------------

    def _handle(self, event: Event) -> None:
        match event:
            case BuildAnnounced(build=build, auto_environments=auto):
                payload = kit.as_payload(kit.build_announcement(build, auto))
                fallback = notices.build_fallback(build)
                self._pacer.submit(
                    build.channel, QueuedPost(lambda: {"text": fallback, "blocks": payload})
                )
            case ExternalChange():
                body = notices.external_change(
                    event.service,
                    event.environment,
                    event.old_image,
                    event.new_image,
                    event.old_revision,
                    event.new_revision,
                )
                payload = kit.as_payload(kit.notice(body))
                self._pacer.submit(
                    event.channel, QueuedPost(lambda: {"text": body, "blocks": payload})
                )
            case AuditHeadReached(channel=channel, seq=seq, hash=digest):
                head = notices.audit_head(seq, digest)
                head_blocks = kit.as_payload(kit.notice(head))
                self._pacer.submit(
                    channel, QueuedPost(lambda: {"text": head, "blocks": head_blocks})
                )
            case AutoDeployBlocked(build=build, environment=environment, reason=reason):
                body = notices.auto_deploy_blocked(build, environment, reason, event.mentions)
                blocked = kit.as_payload(kit.notice(body))
                self._pacer.submit(
                    build.channel, QueuedPost(lambda: {"text": body, "blocks": blocked})
                )
            case ApprovalLapsed(release=r, still_counted=still):
                self._show(r)
                self._reply(r, text.approval_lapsed(r, still))
            case ReleaseRequested(release=r):
                self._show(r)
            case VoteRecorded(release=r, actor=actor, counted=counted):
                self._show(r)
                if counted:
                    vote = next((v for v in r.votes if v.user_id == actor.user_id), None)
                    decision = vote.decision.value if vote else "withdrawn"
                    self._reply(r, text.vote_counted(actor.user_id, decision, r))
            case ReleaseDecided(release=r, by=by):
                self._show(r)
                self._reply(r, text.decided(r, by.user_id if by else None))
            case RolloutStarted(release=r):
                self._show(r)
                # a break-glass start is also shown in the channel, not only in the thread
                self._reply(r, text.rollout_started(r), broadcast=r.break_glass)
            case RolloutProgressed(release=r):
                self._show(r)
            case PodTrouble(release=r, pod=pod, reason=reason):
                self._show(r)
                # Keyed by the Slack thread, not the release: an automatic rollback reports
                # in the failed release's thread and still sees the bad pods it replaces.
                told = self._troubles.setdefault(r.in_thread_of or r.id, set())
                while len(self._troubles) > TROUBLES_KEPT:
                    del self._troubles[next(iter(self._troubles))]
                if (pod, reason) not in told:
                    told.add((pod, reason))
                    self._reply(r, text.pod_trouble(pod, reason))
            case RolloutFinished(release=r):
                self._show(r)
                self._reply(r, text.finished(r))

    def _show(self, r: ReleaseView) -> _Thread:
        """Record the latest snapshot; the parent is posted (queued) the first time."""
        thread = self._threads.get(r.id)
        if thread is None:
            thread = _Thread(channel=r.channel, ts=r.thread_ts, borrowed=r.in_thread_of is not None)
            self._threads[r.id] = thread
            if thread.ts is None:
                thread.latest = r
                self._pacer.submit(
                    r.channel,
                    QueuedPost(lambda: self._render_parent(thread), self._parent_posted(thread)),
                )
                return thread
        thread.latest, thread.dirty = r, not thread.borrowed
        return thread

    def _reply(self, r: ReleaseView, body: str, *, broadcast: bool = False) -> None:
        thread = self._threads[r.id]

        def render() -> dict[str, Any]:
            args: dict[str, Any] = {"text": body, "blocks": kit.as_payload(kit.notice(body))}
            if thread.ts is not None:
                args["thread_ts"] = thread.ts
                if broadcast:
                    args["reply_broadcast"] = True
            return args

        self._pacer.submit(r.channel, QueuedPost(render))

    def _render_parent(self, thread: _Thread) -> dict[str, Any]:
        assert thread.latest is not None
        payload = kit.as_payload(kit.release_message(thread.latest))
        thread.shown, thread.dirty = payload, False
        thread.shown_at = self._clock.now()
        return {"text": text.fallback_text(thread.latest), "blocks": payload}

    def _parent_posted(self, thread: _Thread) -> Any:
        def posted(ts: str | None) -> None:
            thread.ts = ts
            if ts is None or thread.latest is None:
                return
            try:
                self._workflow.remember_message(thread.latest.id, thread.channel, ts)
            except Exception:
                log.exception("could not remember the message of release %s", thread.latest.id)

        return posted

    # -- sending -----------------------------------------------------------------------------

    def _flush_locked(self) -> int:
        now = self._clock.now()
        sent = self._pacer.drain(self._clock.now, self._post)
        for release_id, thread in list(self._threads.items()):
            r = thread.latest
            if r is None or thread.ts is None:
                continue
            final = not r.active
            due = thread.shown_at is None or now - thread.shown_at >= self._edit_interval
            if thread.dirty and (final or due):
                sent += self._edit(thread, r, now)
            if final and not thread.dirty:
                del self._threads[release_id]
        return sent

    def _edit(self, thread: _Thread, r: ReleaseView, now: datetime) -> int:
        payload = kit.as_payload(kit.release_message(r))
        thread.dirty = False
        if payload == thread.shown:
            return 0
        thread.shown, thread.shown_at = payload, now
        assert thread.ts is not None
        self._call(
            "chat_update",
            channel=thread.channel,
            ts=thread.ts,
            text=text.fallback_text(r),
            blocks=payload,
        )
        return 1

    def _post(self, args: dict[str, Any]) -> str | None:
        response = self._call("chat_postMessage", **args)
        return None if response is None else str(response.get("ts"))

    def _call(self, method: str, **kwargs: Any) -> dict[str, Any] | None:
        if "text" in kwargs:
            kwargs["text"] = safe(kwargs["text"])
        try:
            response = getattr(self._client, method)(**kwargs)
        except SlackApiError as err:
            log.warning(
                "Slack refused %s in %s: %s",
                method,
                kwargs.get("channel"),
                err.response.get("error"),
            )
            return None
        data: dict[str, Any] = response.data if isinstance(response.data, dict) else {}
        return data
