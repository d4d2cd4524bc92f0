"""The bot's database sessions ended by the server in the middle of things, on PostgreSQL.

``pg_terminate_backend`` of every session the bot holds (its pool, its claims session) is
what a failover, a restarted pooler or a DBA does. Each piece of work caught in the middle
finishes or is retried by its sender, and nothing is lost or done twice. A database that
is really down answers CI's build hook with 503 and ``Retry-After``, so CI tries again.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlmodel import Session

from bot.kube.sim.resources import DEPLOYMENTS
from bot.slack import actions
from storage.audit import verify_chain
from storage.engine import make_engine
from storage.models import ReleaseState
from tests.e2e.conftest import ALICE, CAROL, REQUESTER, Stack
from tests.storage.conftest import fresh_postgres_database
from tests.workflow.harness import image


@pytest.fixture
def database_url(postgres_admin: str) -> Iterator[str]:
    """These faults are PostgreSQL's: SQLite has no server to end a session."""
    with fresh_postgres_database(postgres_admin) as url:
        yield url


def terminate_bot_sessions(admin: str, url: str) -> int:
    """End every session on the bot's database but the one doing the ending."""
    with psycopg.connect(admin, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (make_url(url).database,),
        ).fetchall()
    return sum(1 for (ended,) in rows if ended)


def allow_connections(admin: str, url: str, allowed: bool) -> None:
    with psycopg.connect(admin, autocommit=True) as connection:
        flag = "true" if allowed else "false"
        connection.execute(
            f'ALTER DATABASE "{make_url(url).database}" WITH ALLOW_CONNECTIONS {flag}'
        )


def announcements(stack: Stack, version: str) -> list[object]:
    return [
        m
        for m in stack.slack.messages
        if version in str(m.blocks) and m.thread_ts is None and "Deploy" in str(m.blocks)
    ]


def audit_ok(url: str) -> None:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            assert verify_chain(session=session).ok
    finally:
        engine.dispose()


def test_a_build_hook_while_the_database_is_down_is_503_and_the_retry_is_announced_once(
    stack: Stack, postgres_admin: str, database_url: str
) -> None:
    allow_connections(postgres_admin, database_url, False)
    try:
        terminate_bot_sessions(postgres_admin, database_url)
        refused = stack.build_hook("1.0.1", 1)
    finally:
        allow_connections(postgres_admin, database_url, True)
    assert refused.status_code == 503, refused.text
    assert int(refused.headers["Retry-After"]) > 0
    assert "database" in refused.json()["error"]

    # CI retries: now it is recorded, announced once and deployed to staging once
    assert stack.build_hook("1.0.1", 1).status_code == 202
    stack.settle()
    assert len(announcements(stack, "1.0.1")) == 1
    [staging] = stack.bot.workflow.history("api", "staging")
    assert staging.state is ReleaseState.SUCCEEDED


def test_sessions_ended_mid_build_hook_and_mid_release_heal_without_a_trace(
    stack: Stack, postgres_admin: str, database_url: str
) -> None:
    assert stack.build_hook("1.0.1", 1).status_code == 202
    stack.until(lambda: stack.bot.workflow.pending())
    assert terminate_bot_sessions(postgres_admin, database_url) >= 1  # pool and claims
    stack.settle()
    [staging] = stack.bot.workflow.history("api", "staging")
    assert staging.state is ReleaseState.SUCCEEDED

    # the pool's connections are dead again; the next build goes through at the first try
    terminate_bot_sessions(postgres_admin, database_url)
    assert stack.build_hook("1.0.2", 2).status_code == 202
    stack.settle()
    assert len(announcements(stack, "1.0.2")) == 1
    latest = stack.bot.workflow.history("api", "staging", limit=1)[0]
    assert (latest.version, latest.state) == ("1.0.2", ReleaseState.SUCCEEDED)
    audit_ok(database_url)


def test_an_approval_after_the_claims_session_died_starts_the_rollout_at_once(
    stack: Stack, postgres_admin: str, database_url: str
) -> None:
    """The claim is tried on a dead session: that is not "claimed elsewhere". Without a
    reopened session the release would sit approved until the leader's stalled-approval
    sweep a minute later."""
    assert stack.build_hook("1.0.1", 1).status_code == 202
    stack.settle()
    stack.command(REQUESTER, "/deploy", "api 1.0.1 to production")
    release = stack.until(lambda: [r for r in stack.bot.workflow.pending() if r.thread_ts])[0]
    value = actions.release_value(release.id)
    stack.click(ALICE, actions.APPROVE, value)
    stack.until(lambda: stack.bot.workflow.release(release.id).approvals == (ALICE,))

    terminate_bot_sessions(postgres_admin, database_url)  # mid-vote: between two approvals
    stack.react(CAROL, release)
    stack.until(
        lambda: (
            stack.bot.workflow.release(release.id).state
            in (ReleaseState.ROLLING_OUT, ReleaseState.BAKING, ReleaseState.SUCCEEDED)
        )
    )
    stack.settle()
    done = stack.bot.workflow.release(release.id)
    assert done.state is ReleaseState.SUCCEEDED
    assert sorted(done.approvals) == sorted([ALICE, CAROL])
    deployment = stack.sim.cluster.store.get(DEPLOYMENTS, "apps", "api")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == image(1)
    audit_ok(database_url)
