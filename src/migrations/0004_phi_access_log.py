"""The PHI access log (HIPAA audit controls), append-only in the database itself.

PostgreSQL: a statement trigger raising on UPDATE, DELETE and TRUNCATE, so that even the
application's own role (the table's owner) cannot rewrite history.
SQLite: BEFORE UPDATE / BEFORE DELETE triggers with RAISE(ABORT) (SQLite has no TRUNCATE).
"""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops
from carepath.models.enums import PhiAccessOutcome
from tortoise import fields

POSTGRES_FORWARD = [
    "CREATE FUNCTION phi_access_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN RAISE EXCEPTION 'phi_access_events is append-only'"
    " USING ERRCODE = 'insufficient_privilege'; END $$",
    "CREATE TRIGGER phi_access_events_append_only"
    " BEFORE UPDATE OR DELETE OR TRUNCATE ON phi_access_events"
    " FOR EACH STATEMENT EXECUTE FUNCTION phi_access_events_append_only()",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS phi_access_events_append_only ON phi_access_events",
    "DROP FUNCTION IF EXISTS phi_access_events_append_only()",
]
SQLITE_FORWARD = [
    f"CREATE TRIGGER phi_access_events_no_{verb.lower()} BEFORE {verb} ON phi_access_events"
    " BEGIN SELECT RAISE(ABORT, 'phi_access_events is append-only'); END"
    for verb in ("UPDATE", "DELETE")
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS phi_access_events_no_update",
    "DROP TRIGGER IF EXISTS phi_access_events_no_delete",
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
    dependencies = [('carepath', '0003_roster_invitations')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PhiAccessEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('occurred_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('actor_id', fields.IntField(null=True, db_index=True)),
                ('actor_roles', fields.CharField(description='Comma-separated roles, or ANONYMOUS.', max_length=64)),
                ('action', fields.CharField(description='`read`, or the refused mutation.', max_length=64)),
                ('object_type', fields.CharField(max_length=32)),
                ('object_id', fields.BigIntField(null=True)),
                ('client_id', fields.IntField(null=True, db_index=True, description='Whose PHI it is.')),
                ('outcome', fields.CharEnumField(description='ALLOWED: ALLOWED\nDENIED: DENIED', enum_type=PhiAccessOutcome, max_length=8)),
                ('request_id', fields.CharField(db_index=True, max_length=32)),
                ('operation_name', fields.CharField(null=True, max_length=100)),
            ],
            options={'table': 'phi_access_events', 'app': 'carepath', 'pk_attr': 'id', 'table_description': "A read of a client's PHI by someone else, or a refused access: never the PHI itself."},
            bases=['Model'],
        ),
        ops.RunPython(forward, backward),
    ]
