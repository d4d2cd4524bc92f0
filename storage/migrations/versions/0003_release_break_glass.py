"""Break-glass releases are marked in their row: ``releases.break_glass``, with a CHECK that a
break-glass release always carries its ``break_glass_reason`` (that column is from 0001).

The freeze check asks this flag whether a release may skip a freeze, so it lives in the row a
restart reads, not in the process. The audit log needs no new column: every event of a
break-glass release carries the reason in ``break_glass_reason`` and ``break_glass: true`` in
``details``; a new ``audit_events`` column would change the hashed content of the rows already
chained and so break ``releasebot audit verify`` on every upgraded database.

SQLite gets a plain ``ADD COLUMN`` with the CHECK on the column (no batch rebuild: ``votes``
references ``releases``, see 0002); a column's own CHECK does not stop ``DROP COLUMN``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

CHECK = "ck_releases_break_glass_has_reason"
HAS_REASON = (
    "NOT break_glass OR (break_glass_reason IS NOT NULL AND length(trim(break_glass_reason)) > 0)"
)


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE releases ADD COLUMN break_glass BOOLEAN DEFAULT 0 NOT NULL "
            f"CONSTRAINT {CHECK} CHECK ({HAS_REASON})"
        )
        return
    op.add_column(
        "releases",
        sa.Column("break_glass", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_check_constraint(op.f(CHECK), "releases", HAS_REASON)


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("ALTER TABLE releases DROP COLUMN break_glass")
        return
    op.drop_constraint(op.f(CHECK), "releases", type_="check")
    op.drop_column("releases", "break_glass")
