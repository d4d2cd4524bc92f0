from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from storage.dedupe import record_request
from storage.errors import ReleaseLocked, StaleState
from storage.models import ProcessedRequest, Release, ReleaseState
from storage.releases import (
    active_release,
    create_release,
    get_release,
    releases_in_states,
    transition_release,
)
from tests.storage.conftest import NOW, release_in


def test_a_second_active_release_is_locked_and_names_the_holder(session: Session) -> None:
    holder = create_release(session=session, release_in=release_in(), now=NOW)
    session.commit()
    with pytest.raises(ReleaseLocked) as caught:
        create_release(session=session, release_in=release_in(requester="U0OTHER"), now=NOW)
    assert caught.value.holder_id == holder.id
    assert caught.value.holder_requester == "U0REQUEST"
    assert caught.value.holder_state == ReleaseState.REQUESTED
    assert str(holder.id) in str(caught.value)


def test_other_environments_and_services_are_not_locked(session: Session) -> None:
    create_release(session=session, release_in=release_in(), now=NOW)
    create_release(session=session, release_in=release_in(environment="staging"), now=NOW)
    create_release(session=session, release_in=release_in(service="web"), now=NOW)
    session.commit()


def test_a_finished_release_frees_the_slot(session: Session) -> None:
    first = create_release(session=session, release_in=release_in(), now=NOW)
    transition_release(
        session=session,
        release_id=first.id,
        expected=ReleaseState.REQUESTED,
        new=ReleaseState.CANCELLED,
        now=NOW,
    )
    second = create_release(session=session, release_in=release_in(), now=NOW)
    session.commit()
    assert active_release(session=session, service="api", environment="production") == second


def test_a_lock_refusal_leaves_the_callers_transaction_usable(session: Session) -> None:
    create_release(session=session, release_in=release_in(), now=NOW)
    session.commit()
    assert record_request(session=session, key="trigger:T0TEAM:1", now=NOW)
    with pytest.raises(ReleaseLocked):
        create_release(session=session, release_in=release_in(), now=NOW)
    session.commit()
    assert session.get(ProcessedRequest, "trigger:T0TEAM:1") is not None


def test_racing_creators_get_exactly_one_winner(engine: Engine) -> None:
    contenders = 8
    start = threading.Barrier(contenders)
    won: list[uuid.UUID] = []
    locked: list[uuid.UUID] = []
    unexpected: list[BaseException] = []

    def contend(index: int) -> None:
        try:
            with Session(engine) as session:
                start.wait(timeout=10)
                try:
                    release = create_release(
                        session=session, release_in=release_in(requester=f"U{index}"), now=NOW
                    )
                    session.commit()
                    won.append(release.id)
                except ReleaseLocked as err:
                    locked.append(err.holder_id)
        except BaseException as err:
            unexpected.append(err)

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert unexpected == []
    assert len(won) == 1
    assert locked == [won[0]] * (contenders - 1)


def test_transition_moves_state_and_stamps_times(session: Session) -> None:
    release = create_release(session=session, release_in=release_in(), now=NOW)
    later = NOW + timedelta(minutes=5)
    moved = transition_release(
        session=session,
        release_id=release.id,
        expected=ReleaseState.REQUESTED,
        new=ReleaseState.ROLLING_OUT,
        now=later,
        revision_before=11,
    )
    assert (moved.state, moved.started_at, moved.revision_before) == (
        ReleaseState.ROLLING_OUT,
        later,
        11,
    )
    done = transition_release(
        session=session,
        release_id=release.id,
        expected=ReleaseState.ROLLING_OUT,
        new=ReleaseState.SUCCEEDED,
        now=later + timedelta(minutes=1),
        revision_after=12,
    )
    session.commit()
    session.expire_all()
    stored = get_release(session=session, release_id=release.id)
    assert stored is not None
    assert stored.state == ReleaseState.SUCCEEDED == done.state
    assert stored.finished_at == later + timedelta(minutes=1)
    assert (stored.revision_before, stored.revision_after) == (11, 12)
    assert stored.created_at == NOW


def test_a_transition_from_a_stale_state_is_refused(session: Session) -> None:
    release = create_release(session=session, release_in=release_in(), now=NOW)
    transition_release(
        session=session,
        release_id=release.id,
        expected=ReleaseState.REQUESTED,
        new=ReleaseState.AWAITING_APPROVAL,
        now=NOW,
    )
    with pytest.raises(StaleState) as caught:
        transition_release(
            session=session,
            release_id=release.id,
            expected=ReleaseState.REQUESTED,
            new=ReleaseState.CANCELLED,
            now=NOW,
        )
    assert (caught.value.expected, caught.value.actual) == (
        ReleaseState.REQUESTED,
        ReleaseState.AWAITING_APPROVAL,
    )
    with pytest.raises(StaleState, match="does not exist"):
        transition_release(
            session=session,
            release_id=uuid.uuid4(),
            expected=ReleaseState.REQUESTED,
            new=ReleaseState.CANCELLED,
            now=NOW,
        )


def test_two_sessions_acting_on_one_release_only_one_moves_it(engine: Engine) -> None:
    with Session(engine) as session:
        release_id = create_release(session=session, release_in=release_in(), now=NOW).id
        session.commit()
    with Session(engine) as first:
        transition_release(
            session=first,
            release_id=release_id,
            expected=ReleaseState.REQUESTED,
            new=ReleaseState.APPROVED,
            now=NOW,
        )
        first.commit()
    with Session(engine) as second, pytest.raises(StaleState):
        transition_release(
            session=second,
            release_id=release_id,
            expected=ReleaseState.REQUESTED,
            new=ReleaseState.CANCELLED,
            now=NOW,
        )


def test_reviving_a_finished_release_while_another_holds_the_slot_is_locked(
    session: Session,
) -> None:
    old = create_release(session=session, release_in=release_in(), now=NOW)
    transition_release(
        session=session,
        release_id=old.id,
        expected=ReleaseState.REQUESTED,
        new=ReleaseState.FAILED,
        now=NOW,
    )
    holder = create_release(session=session, release_in=release_in(), now=NOW)
    with pytest.raises(ReleaseLocked) as caught:
        transition_release(
            session=session,
            release_id=old.id,
            expected=ReleaseState.FAILED,
            new=ReleaseState.REQUESTED,
            now=NOW,
        )
    assert caught.value.holder_id == holder.id


def test_releases_in_states_finds_what_a_new_leader_resumes(session: Session) -> None:
    rolling = create_release(session=session, release_in=release_in(), now=NOW)
    transition_release(
        session=session,
        release_id=rolling.id,
        expected=ReleaseState.REQUESTED,
        new=ReleaseState.ROLLING_OUT,
        now=NOW,
    )
    create_release(session=session, release_in=release_in(service="web"), now=NOW)
    session.commit()
    found = releases_in_states(
        session=session, states=[ReleaseState.ROLLING_OUT, ReleaseState.BAKING]
    )
    assert [release.id for release in found] == [rolling.id]
    assert isinstance(found[0], Release)
