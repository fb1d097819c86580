"""The GraphQL schema: root types merged from the resolver modules, with protections."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxTokensLimiter
from strawberry.tools import merge_types

from carepath.resolvers.accounts import AccountMutations
from carepath.resolvers.directory import PracticeQuery
from carepath.resolvers.groups import GroupMutations
from carepath.resolvers.messaging import MessagingMutations, MessagingQuery
from carepath.resolvers.phi_log import PhiLogQuery
from carepath.resolvers.providers import ProviderMutations
from carepath.resolvers.query import CoreQuery
from carepath.resolvers.rosters import RosterMutations
from carepath.resolvers.scheduling import SchedulingMutations
from carepath.resolvers.subscriptions import Subscription
from carepath.resolvers.webhooks import WebhookMutations
from carepath.schema.document_cache import CachedDocuments
from carepath.schema.document_cost import CostLimit
from carepath.schema.document_rules import MAX_TOKENS, DocumentRules
from carepath.schema.errors import MaskInternalErrors, mask_in_place
from carepath.schema.input_guard import RefuseNul
from carepath.schema.observe import ObserveOperations
from carepath.schema.operation_choice import ChooseOperation, request_errors_as_results
from carepath.schema.phi_logging import WritePhiAccessLog
from carepath.schema.production import HideSchema
from carepath.schema.types.clients import Client, ClientLocation
from carepath.schema.types.groups import Group
from carepath.schema.types.practice import Provider, TelehealthLocation
from carepath.schema.types.scheduling import Appointment
from carepath.schema.types.users import User
from carepath.schema.types.webhooks import WebhookDelivery, WebhookEndpoint

Query = merge_types("Query", (CoreQuery, PracticeQuery, MessagingQuery, PhiLogQuery))
Mutation = merge_types(
    "Mutation",
    (
        AccountMutations,
        ProviderMutations,
        GroupMutations,
        RosterMutations,
        SchedulingMutations,
        MessagingMutations,
        WebhookMutations,
    ),
)


class CarepathSchema(strawberry.Schema):
    async def stream(self, *args: Any, **kwargs: Any) -> Any:
        """strawberry's, with a request error raised before execution sent as a result."""
        return request_errors_as_results(await super().stream(*args, **kwargs))

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Internal errors are logged (without PHI) and masked; nothing else is logged."""
        mask_in_place(errors)


def build_schema(*, production: bool = False, tracing: Any = None) -> strawberry.Schema:
    """The schema; in production also without introspection and "Did you mean" hints;
    `tracing`: an OpenTelemetry extension (tracing.py) or None."""
    return CarepathSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[
            User,
            Client,
            ClientLocation,
            Provider,
            Group,
            TelehealthLocation,
            Appointment,
            WebhookEndpoint,
            WebhookDelivery,
        ],
        extensions=[
            ObserveOperations,  # first: it sees the errors as clients do
            *([tracing] if tracing is not None else []),
            ChooseOperation,
            DocumentRules,
            RefuseNul,
            CostLimit,
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            CachedDocuments,
            MaskInternalErrors,
            WritePhiAccessLog,
            *([HideSchema] if production else []),
        ],
    )


schema = build_schema()
