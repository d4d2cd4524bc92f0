"""The PostgreSQL role the bot runs as: it may append to and read the audit log, never change it.

The owner (who runs ``releasebot db upgrade``) owns every table, the append-only trigger and
its function. The runtime role gets data rights only: on ``audit_events`` ``SELECT`` and
``INSERT`` and nothing else, on the other tables what the bot's work needs. Not owning the
table, it cannot ``ALTER`` it, drop or disable the trigger, or replace the function; the
trigger still refuses ``UPDATE``, ``DELETE`` and ``TRUNCATE`` even for the owner.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, inspect, text

AUDIT_TABLE = "audit_events"
_ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class RoleRefused(ValueError):
    """The role cannot be made a safe runtime role; ``str()`` says why and what to do."""


def grant_runtime_role(engine: Engine, role: str) -> list[str]:
    """Grant ``role`` (which must exist, and be neither a superuser nor the tables' owner)
    what the bot needs; returns the statements run. Safe to repeat after each upgrade."""
    if engine.dialect.name != "postgresql":
        raise RoleRefused("runtime roles are a PostgreSQL feature; SQLite has no roles")
    if not _ROLE.fullmatch(role):
        raise RoleRefused(f"{role!r} is not a plain role name (lower-case letters, digits and '_')")
    with engine.begin() as connection:
        found = connection.execute(
            text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :role"),
            {"role": role},
        ).first()
        if found is None:
            raise RoleRefused(
                f"there is no role {role}; create it first: CREATE ROLE {role} LOGIN PASSWORD '…'"
            )
        if found[0]:
            raise RoleRefused(f"{role} is a superuser, so no grant could stop it; use another")
        owner = connection.execute(
            text("SELECT tableowner FROM pg_tables WHERE tablename = :table"),
            {"table": AUDIT_TABLE},
        ).scalar()
        if owner is None:
            raise RoleRefused("the schema is not migrated yet; run `releasebot db upgrade` first")
        if owner == role:
            raise RoleRefused(
                f"{role} owns the tables (it ran the migrations), so it could drop the trigger; "
                "run the bot as another role"
            )
        tables = [t for t in inspect(connection).get_table_names() if t != AUDIT_TABLE]
        statements = [
            f"GRANT USAGE ON SCHEMA public TO {role}",
            f"GRANT SELECT, INSERT ON {AUDIT_TABLE} TO {role}",
            f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {AUDIT_TABLE} FROM {role}",
            *(f'GRANT SELECT, INSERT, UPDATE, DELETE ON "{t}" TO {role}' for t in tables),
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        ]
        for statement in statements:
            connection.execute(text(statement))
    return statements
