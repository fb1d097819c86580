"""Webhook endpoints and deliveries (RULES.md "Webhooks"): secrets stored encrypted,
deliveries leased by the worker through `leased_until`."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from carepath.models.enums import WebhookDeliveryStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('carepath', '0004_phi_access_log')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WebhookEndpoint',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('provider', fields.ForeignKeyField('carepath.Provider', source_field='provider_id', null=True, db_constraint=True, to_field='id', related_name='webhook_endpoints', on_delete=OnDelete.CASCADE)),
                ('group', fields.ForeignKeyField('carepath.Group', source_field='group_id', null=True, db_constraint=True, to_field='id', related_name='webhook_endpoints', on_delete=OnDelete.CASCADE)),
                ('url', fields.CharField(max_length=2000)),
                ('events', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('enabled', fields.BooleanField(default=True)),
                ('secret_encrypted', fields.CharField(max_length=200)),
                ('previous_secret_encrypted', fields.CharField(null=True, max_length=200)),
                ('secret_rotated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('failing_since', fields.DatetimeField(null=True, description='First failed attempt since the last success (null when healthy).', auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_endpoints', 'app': 'carepath', 'pk_attr': 'id', 'table_description': "Where a provider's or a group's webhook events are sent."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('endpoint', fields.ForeignKeyField('carepath.WebhookEndpoint', source_field='endpoint_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('event_id', fields.CharField(db_index=True, max_length=40)),
                ('event_type', fields.CharField(max_length=40)),
                ('payload', fields.TextField(unique=False)),
                ('status', fields.CharEnumField(default=WebhookDeliveryStatus.PENDING, description='PENDING: PENDING\nSUCCEEDED: SUCCEEDED\nFAILED: FAILED', enum_type=WebhookDeliveryStatus, max_length=10)),
                ('attempts', fields.SmallIntField(default=0)),
                ('attempts_allowed', fields.SmallIntField(null=True, description="Null: 1 + the retry schedule's length (a redelivery sets it).")),
                ('last_response_status', fields.SmallIntField(null=True)),
                ('last_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('leased_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'webhook_deliveries', 'app': 'carepath', 'indexes': [Index(fields=['status', 'next_attempt_at']), Index(fields=['endpoint_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A webhook event queued for one endpoint, and its attempts.'},
            bases=['Model'],
        ),
    ]
