"""Rollbacks remember what they undo and where they go: ``releases.rollback_of`` and
``releases.rollback_to_revision``.

Kept in the row rather than in the process so a restart mid-rollback still moves the original
release to ``rolled_back`` and a rollback waiting for approval keeps its target revision.

SQLite gets plain ``ADD/DROP COLUMN`` statements instead of a batch table rebuild: the rebuild
drops ``releases``, which ``votes`` references with foreign keys on, so it would fail on a
database that has votes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-01-12
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

FK = "fk_releases_rollback_of_releases"


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE releases ADD COLUMN rollback_of CHAR(32) "
            f"CONSTRAINT {FK} REFERENCES releases (id)"
        )
    else:
        op.add_column("releases", sa.Column("rollback_of", sa.Uuid(), nullable=True))
        op.create_foreign_key(FK, "releases", "releases", ["rollback_of"], ["id"])
    op.add_column("releases", sa.Column("rollback_to_revision", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("releases", "rollback_to_revision")
    if op.get_context().dialect.name == "sqlite":
        op.execute("ALTER TABLE releases DROP COLUMN rollback_of")
    else:
        op.drop_constraint(FK, "releases", type_="foreignkey")
        op.drop_column("releases", "rollback_of")
