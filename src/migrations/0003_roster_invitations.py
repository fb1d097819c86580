from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('carepath', '0002_no_double_booking')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RosterInvitation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('provider', fields.ForeignKeyField('carepath.Provider', source_field='provider_id', db_constraint=True, to_field='id', related_name='roster_invitations', on_delete=OnDelete.CASCADE)),
                ('client', fields.ForeignKeyField('carepath.Client', source_field='client_id', db_constraint=True, to_field='id', related_name='roster_invitations', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'roster_invitations', 'app': 'carepath', 'unique_together': (('provider', 'client'),), 'pk_attr': 'id', 'table_description': "A provider's pending invitation of a client to their roster, awaiting the answer."},
            bases=['Model'],
        ),
    ]
