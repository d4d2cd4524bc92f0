"""The deployment controller (`pkg/controller/deployment/`), simulated over the store.

One ``sync`` mirrors ``syncDeployment``: paused and scaling events go through ``sync``
(proportional scaling), otherwise the strategy's rollout runs (``rolling.go`` or
``recreate.go``). The steps both share (``sync.go``) are in ``deploysync.py``. Method names
follow the Go functions so the two can be read side by side.
"""

from __future__ import annotations

import copy

from bot.kube.sim import deployutil as du
from bot.kube.sim.deploysync import DeploymentSync, Requeue
from bot.kube.sim.informer import Key
from bot.kube.sim.meta import by_creation, uid_of
from bot.kube.sim.podutil import is_active
from bot.kube.sim.progress import deployment_complete
from bot.kube.sim.resources import DEPLOYMENTS, PODS, REPLICASETS
from bot.kube.sim.scaling import new_rs_new_replicas
from bot.kube.sim.store import Obj


class DeploymentController(DeploymentSync):
    """Picks what a sync does and runs the Deployment's rollout strategy."""

    # -- entry point ---------------------------------------------------------------------

    def sync(self, key: Key) -> None:
        stored = self._informer.get(DEPLOYMENTS, key)
        if stored is None:
            return
        d = copy.deepcopy(stored)
        d.setdefault("status", {})
        rs_list = [copy.deepcopy(rs) for rs in self._informer.owned(REPLICASETS, uid_of(d))]
        try:
            self._sync_deployment(d, rs_list)
        except Requeue:
            return

    def _sync_deployment(self, d: Obj, rs_list: list[Obj]) -> None:
        self._check_paused_conditions(d)
        if d["spec"].get("paused") or self._is_scaling_event(d, rs_list):
            self._sync(d, rs_list)
        elif d["spec"].get("strategy", {}).get("type") == "Recreate":
            self._rollout_recreate(d, rs_list)
        else:
            self._rollout_rolling(d, rs_list)

    # -- rolling.go ----------------------------------------------------------------------

    def _rollout_rolling(self, d: Obj, rs_list: list[Obj]) -> None:
        new_rs, old_rss = self._get_all_replica_sets(d, rs_list, create=True)
        assert new_rs is not None
        all_rss = [*old_rss, new_rs]
        if self._reconcile_new_replica_set(all_rss, new_rs, d):
            self._sync_rollout_status(all_rss, new_rs, d)
            return
        if self._reconcile_old_replica_sets(all_rss, du.active(old_rss), new_rs, d):
            self._sync_rollout_status(all_rss, new_rs, d)
            return
        if deployment_complete(d, d["status"]):
            self._cleanup(old_rss, d)
        self._sync_rollout_status(all_rss, new_rs, d)

    def _reconcile_new_replica_set(self, all_rss: list[Obj], new_rs: Obj, d: Obj) -> bool:
        replicas = du.replicas_of(d)
        if du.replicas_of(new_rs) == replicas:
            return False
        if du.replicas_of(new_rs) > replicas:
            return self._scale_and_record(new_rs, replicas, d)[0]
        count = new_rs_new_replicas(d, all_rss, new_rs)
        return self._scale_and_record(new_rs, count, d)[0]

    def _reconcile_old_replica_sets(
        self, all_rss: list[Obj], old_rss: list[Obj], new_rs: Obj, d: Obj
    ) -> bool:
        if du.spec_replicas(old_rss) == 0:
            return False
        min_available = du.replicas_of(d) - du.max_unavailable(d)
        new_unavailable = du.replicas_of(new_rs) - du.status_count([new_rs], "availableReplicas")
        max_scaled_down = du.spec_replicas(all_rss) - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        old_rss, cleaned = self._cleanup_unhealthy_replicas(old_rss, d, max_scaled_down)
        scaled = self._scale_down_old_for_rolling_update([*old_rss, new_rs], old_rss, d)
        return cleaned + scaled > 0

    def _cleanup_unhealthy_replicas(
        self, old_rss: list[Obj], d: Obj, max_cleanup: int
    ) -> tuple[list[Obj], int]:
        old_rss = sorted(old_rss, key=by_creation)
        total = 0
        for i, rs in enumerate(old_rss):
            if total >= max_cleanup:
                break
            replicas = du.replicas_of(rs)
            available = du.status_count([rs], "availableReplicas")
            if replicas == 0 or replicas == available:
                continue
            count = min(max_cleanup - total, replicas - available)
            _, old_rss[i] = self._scale_and_record(rs, replicas - count, d)
            total += count
        return old_rss, total

    def _scale_down_old_for_rolling_update(
        self, all_rss: list[Obj], old_rss: list[Obj], d: Obj
    ) -> int:
        min_available = du.replicas_of(d) - du.max_unavailable(d)
        available = du.status_count(all_rss, "availableReplicas")
        if available <= min_available:
            return 0
        total, wanted = 0, available - min_available
        for rs in sorted(old_rss, key=by_creation):
            if total >= wanted:
                break
            replicas = du.replicas_of(rs)
            if replicas == 0:
                continue
            count = min(replicas, wanted - total)
            self._scale_and_record(rs, replicas - count, d)
            total += count
        return total

    # -- recreate.go ---------------------------------------------------------------------

    def _rollout_recreate(self, d: Obj, rs_list: list[Obj]) -> None:
        new_rs, old_rss = self._get_all_replica_sets(d, rs_list, create=False)
        all_rss = [*old_rss, *([new_rs] if new_rs else [])]
        scaled_down = False
        for rs in du.active(old_rss):
            scaled_down = self._scale_and_record(rs, 0, d)[0] or scaled_down
        if scaled_down or self._old_pods_running(new_rs, old_rss):
            self._sync_rollout_status(all_rss, new_rs, d)
            return
        if new_rs is None:
            new_rs, old_rss = self._get_all_replica_sets(d, rs_list, create=True)
            assert new_rs is not None
            all_rss = [*old_rss, new_rs]
        self._scale_and_record(new_rs, du.replicas_of(d), d)
        if deployment_complete(d, d["status"]):
            self._cleanup(old_rss, d)
        self._sync_rollout_status(all_rss, new_rs, d)

    def _old_pods_running(self, new_rs: Obj | None, old_rss: list[Obj]) -> bool:
        if du.status_count(old_rss, "replicas") > 0:
            return True
        for rs in old_rss:
            if new_rs is not None and uid_of(rs) == uid_of(new_rs):
                continue
            if any(is_active(pod) for pod in self._informer.owned(PODS, uid_of(rs))):
                return True
        return False
