"""The GraphQL schema: root types merged from the resolver modules, with protections."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.tools import merge_types

from carepath.resolvers.accounts import AccountMutations
from carepath.resolvers.directory import PracticeQuery
from carepath.resolvers.groups import GroupMutations
from carepath.resolvers.messaging import MessagingMutations, MessagingQuery
from carepath.resolvers.providers import ProviderMutations
from carepath.resolvers.query import CoreQuery
from carepath.resolvers.rosters import RosterMutations
from carepath.resolvers.scheduling import SchedulingMutations
from carepath.resolvers.subscriptions import Subscription
from carepath.schema.errors import MaskInternalErrors
from carepath.schema.types.clients import Client, ClientLocation
from carepath.schema.types.groups import Group
from carepath.schema.types.practice import Provider, TelehealthLocation
from carepath.schema.types.scheduling import Appointment
from carepath.schema.types.users import User

# RULES.md counts the root field as level 1; strawberry counts it as depth 0.
MAX_DEPTH = 12 - 1
MAX_ALIASES = 30
MAX_TOKENS = 5000

# The limiters build a new rule class per instance; built once here, the rules are the same
# objects on every request, so ValidationCache hits instead of filling with one-off classes.
SHAPE_RULES = (
    QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules
    + MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules
)

Query = merge_types("Query", (CoreQuery, PracticeQuery, MessagingQuery))
Mutation = merge_types(
    "Mutation",
    (
        AccountMutations,
        ProviderMutations,
        GroupMutations,
        RosterMutations,
        SchedulingMutations,
        MessagingMutations,
    ),
)


class CarepathSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Internal errors are logged (without PHI) by MaskInternalErrors; nothing else is."""


def build_schema() -> strawberry.Schema:
    return CarepathSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[User, Client, ClientLocation, Provider, Group, TelehealthLocation, Appointment],
        extensions=[
            lambda: AddValidationRules(list(SHAPE_RULES)),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: ParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
            MaskInternalErrors,
        ],
    )


schema = build_schema()
