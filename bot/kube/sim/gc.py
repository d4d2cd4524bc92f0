"""Owner-reference garbage collection: deleting an owner deletes what it controls.

The real collector's background propagation, done at once: a Deployment's ReplicaSets go,
and their deletion in turn takes their pods.
"""

from __future__ import annotations

from bot.kube.sim.informer import Informer
from bot.kube.sim.store import NotFound, Store


class GarbageCollector:
    def __init__(self, store: Store, informer: Informer) -> None:
        self._store = store
        self._informer = informer

    def collect(self) -> list[str]:
        """Delete dependents of every owner deleted since the last call; their uids."""
        gone = list(self._informer.deleted_uids)
        self._informer.deleted_uids.clear()
        for uid in gone:
            for rtype, (namespace, name) in self._informer.dependents(uid):
                try:
                    self._store.delete(rtype, namespace, name)
                except NotFound:
                    continue
        return gone
