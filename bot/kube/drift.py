"""Noticing Deployment changes the bot did not make.

A person running `kubectl set image` or `kubectl rollout undo` moves the Deployment to a new
revision behind the bot's back; the release thread must say so. The bot registers the pod
template it is about to write *before* writing it, so its own changes are recognised even
when the watch reports them before the patch call returns.

That record lives in this process only: it spares a database look-up for this process's own
writes. Whether a change reported here came from another replica is the workflow's question,
answered from the database (``bot.workflow.own_changes``).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from typing import Any

from bot.kube.fetching import Obj
from bot.kube.models import RELEASE_ID, ExternalChange
from bot.kube.status import container_image, revision_of
from bot.kube.watching import Change, NamespaceWatch, Subscription, WatchFailed


class OwnWrites:
    """Pod templates the bot is writing, per Deployment, until the new revision shows up.

    Each expectation is claimed once: a person who later rolls back by hand to a template
    the bot once wrote is still noticed.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, list[dict[str, Any]]] = {}

    def expect(self, deployment: str, template: dict[str, Any]) -> None:
        with self._lock:
            pending = self._pending.setdefault(deployment, [])
            pending.append(copy.deepcopy(template))
            del pending[:-5]

    def forget(self, deployment: str, template: dict[str, Any]) -> None:
        """The write failed; it will not produce a revision."""
        self.claim(deployment, template)

    def claim(self, deployment: str, template: dict[str, Any] | None) -> bool:
        with self._lock:
            pending = self._pending.get(deployment, [])
            if template is not None and template in pending:
                pending.remove(template)
                return True
            return False


class DriftDetector:
    """Turns Deployment changes into :class:`ExternalChange` when the revision moved by hand."""

    def __init__(self, own: OwnWrites, container_of: dict[str, str]) -> None:
        self.own = own
        self.container_of = container_of
        self._seen: dict[str, tuple[int | None, str]] = {}

    def prime(self, deployment: Obj) -> None:
        name = str(deployment.get("metadata", {}).get("name"))
        if name in self.container_of:
            self._seen[name] = (revision_of(deployment), self._image(name, deployment))

    def on_change(self, change: Change) -> ExternalChange | None:
        if change.kind != "deployments" or change.type == "DELETED":
            return None
        obj = change.object
        name = str(obj.get("metadata", {}).get("name"))
        if name not in self.container_of:
            return None
        revision, image = revision_of(obj), self._image(name, obj)
        old = self._seen.get(name)
        if old is not None and (old[0] == revision or revision is None):
            return None
        self._seen[name] = (revision, image)
        if old is None:
            return None
        if self.own.claim(name, (obj.get("spec") or {}).get("template")):
            return None
        annotations = obj.get("metadata", {}).get("annotations") or {}
        return ExternalChange(name, old[0], revision, old[1], image, annotations.get(RELEASE_ID))

    def _image(self, name: str, obj: Obj) -> str:
        return container_image(obj, self.container_of[name]) or ""


def external_changes(
    watch: NamespaceWatch, own: OwnWrites, container_of: dict[str, str]
) -> Iterator[ExternalChange]:
    """Yield external changes to the named Deployments until the watch stops.

    Subscribes before returning, so nothing that happens after this call is missed.
    """
    detector = DriftDetector(own, container_of)
    subscription = watch.subscribe(kinds=("deployments",))
    for obj in subscription.snapshot["deployments"].values():
        detector.prime(obj)
    return _changes(watch, subscription, detector)


def _changes(
    watch: NamespaceWatch, subscription: Subscription, detector: DriftDetector
) -> Iterator[ExternalChange]:
    try:
        while True:
            item = subscription.items.get()
            if item is None:
                return
            if isinstance(item, WatchFailed):
                raise item.error
            found = detector.on_change(item)
            if found is not None:
                yield found
    finally:
        watch.unsubscribe(subscription)
