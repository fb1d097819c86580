"""No provider holds two overlapping non-cancelled appointments: enforced by the database.

PostgreSQL: an exclusion constraint over [starts_at, ends_at) per provider.
SQLite: triggers refusing an overlapping insert or update (bookings are also serialised
by BEGIN IMMEDIATE, see carepath.sqlite_backend).
"""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "ALTER TABLE appointments ADD CONSTRAINT appointments_ends_after_start"
    " CHECK (ends_at > starts_at)",
    "ALTER TABLE appointments ADD CONSTRAINT appointments_no_overlap EXCLUDE USING gist"
    " (provider_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)"
    " WHERE (status <> 'CANCELLED')",
]
POSTGRES_BACKWARD = [
    "ALTER TABLE appointments DROP CONSTRAINT IF EXISTS appointments_no_overlap",
    "ALTER TABLE appointments DROP CONSTRAINT IF EXISTS appointments_ends_after_start",
]

_OVERLAP = (
    "EXISTS (SELECT 1 FROM appointments a WHERE a.provider_id = NEW.provider_id"
    " AND a.status <> 'CANCELLED' AND a.id IS NOT NEW.id"
    " AND a.starts_at < NEW.ends_at AND NEW.starts_at < a.ends_at)"
)
SQLITE_FORWARD = [
    "CREATE TRIGGER appointments_no_overlap_insert BEFORE INSERT ON appointments"
    f" WHEN NEW.status <> 'CANCELLED' AND (NEW.ends_at <= NEW.starts_at OR {_OVERLAP})"
    " BEGIN SELECT RAISE(ABORT, 'appointments_no_overlap'); END",
    "CREATE TRIGGER appointments_no_overlap_update BEFORE UPDATE ON appointments"
    f" WHEN NEW.status <> 'CANCELLED' AND (NEW.ends_at <= NEW.starts_at OR {_OVERLAP})"
    " BEGIN SELECT RAISE(ABORT, 'appointments_no_overlap'); END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS appointments_no_overlap_insert",
    "DROP TRIGGER IF EXISTS appointments_no_overlap_update",
]


async def _run(schema_editor: Any, by_dialect: dict[str, list[str]]) -> None:
    statements = by_dialect.get(schema_editor.client.capabilities.dialect, [])
    for statement in statements:
        await schema_editor.client.execute_query(statement)


async def forward(apps: Any, schema_editor: Any) -> None:
    await _run(schema_editor, {"postgres": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD})


async def backward(apps: Any, schema_editor: Any) -> None:
    await _run(schema_editor, {"postgres": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD})


class Migration(migrations.Migration):
    dependencies = [("carepath", "0001_initial")]

    operations = [ops.RunPython(forward, backward)]
