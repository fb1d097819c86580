"""Hypothesis strategies for every mutation's arguments, read from the GraphQL schema itself.

Values are hostile but mostly well-typed (so they get past GraphQL's coercion and reach
our code): NUL bytes and control characters, strings up to ~10k characters, emoji,
ids that are random, of other types, or of huge numbers, dates in year 1 and 9999, ints
at the 32-bit edges, enum values, nulls and lists. A few are ill-typed on purpose.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    Undefined,
    get_named_type,
    is_leaf_type,
    print_type,
)
from hypothesis import strategies as st

from carepath.schema.ids import to_global_id

NASTY_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "ann\x00@example.com",
    "\x1b[31m\x07\x08",
    "\r\n\t",
    "\u202eevil",
    "\ufeff",
    "\U0001f600" * 20,
    "Zoë Ångström 山田",
    "'; DROP TABLE users; --",
    "<script>alert(1)</script>",
    "%s%n%x",
    "{{7*7}}",
    "x" * 10_000,
    "\U0001f4a9" * 3_000,
    "ann@example.com",
    "https://doxy.me/room",
    "America/New_York",
    "Not/AZone",
    "24:00",
    "99:99",
    "a long enough passphrase",
]
NODE_TYPES = [
    "User",
    "Client",
    "ClientLocation",
    "Provider",
    "Group",
    "TelehealthLocation",
    "Appointment",
    "Conversation",
    "Message",
    "License",
    "Credential",
    "Payout",
    "ProviderRemovalRequest",
    "AppointmentSeries",
]
WEIRD_PKS = [0, 1, 2, 3, 2**31 - 1, 2**31, 2**63, 10**30]
DATETIMES = [
    "0001-01-01T00:00:00+00:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59+00:00",
    "9999-12-31T23:59:59-12:00",
    "9999-12-31T23:59:59.999999",
    "2030-01-07T10:00:00+00:00",
    "2030-01-07T10:07:13-05:00",
    "2030-01-07T10:00:00",
    "2030-02-30T10:00:00+00:00",
    "not a date",
    "",
    "\x00",
]
INTS = [0, 1, -1, 2, 15, 50, 52, 53, 240, 241, 2**31 - 1, -(2**31)]


def raw_id(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def strings() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NASTY_STRINGS),
        st.text(max_size=40),
        st.text(st.characters(codec="utf-8"), min_size=1, max_size=12),
        st.builds(lambda ch, n: ch * n, st.characters(), st.integers(100, 10_000)),
        st.emails(),
    )


def ids(known: Iterable[str]) -> st.SearchStrategy[Any]:
    known = list(known)
    forged = st.builds(to_global_id, st.sampled_from(NODE_TYPES), st.sampled_from(WEIRD_PKS))
    raw = st.builds(
        raw_id,
        st.one_of(
            st.sampled_from(["User:-1", "User:1e5", "Provider:0001", "User:", ":1", "User:1:2"]),
            st.builds(lambda t, s: f"{t}:{s}", st.sampled_from(NODE_TYPES), st.text(max_size=12)),
        ),
    )
    options: list[st.SearchStrategy[Any]] = [forged, raw, strings(), st.just("=" * 8)]
    if known:
        options.insert(0, st.sampled_from(known))
    return st.one_of(options)


def date_times() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(DATETIMES),
        st.datetimes().map(lambda d: d.isoformat()),
        st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    )


def scalar(named: GraphQLScalarType, known_ids: list[str]) -> st.SearchStrategy[Any]:
    if named.name == "String":
        return strings()
    if named.name == "ID":
        return ids(known_ids)
    if named.name == "Int":
        return st.one_of(st.sampled_from(INTS), st.integers(-(2**31), 2**31 - 1))
    if named.name == "Boolean":
        return st.booleans()
    if named.name == "DateTime":
        return date_times()
    return st.one_of(strings(), st.integers(), st.floats(allow_nan=False))


def value_of(kind: GraphQLInputType, known_ids: list[str]) -> st.SearchStrategy[Any]:
    if isinstance(kind, GraphQLNonNull):
        return value_of(kind.of_type, known_ids)
    inner = _non_null_value(kind, known_ids)
    return st.one_of(st.none(), inner, inner, inner)


def _non_null_value(kind: GraphQLInputType, known_ids: list[str]) -> st.SearchStrategy[Any]:
    if isinstance(kind, GraphQLList):
        item = value_of(kind.of_type, known_ids)
        if isinstance(get_named_type(kind.of_type), GraphQLEnumType):
            long_list = st.lists(item, min_size=60, max_size=120)
            return st.one_of(st.lists(item, max_size=4), long_list)
        return st.lists(item, max_size=4)
    if isinstance(kind, GraphQLEnumType):
        return st.sampled_from(list(kind.values))
    if isinstance(kind, GraphQLScalarType):
        return scalar(kind, known_ids)
    assert isinstance(kind, GraphQLInputObjectType)
    return input_object(kind, known_ids)


def input_object(kind: GraphQLInputObjectType, known_ids: list[str]) -> st.SearchStrategy[Any]:
    required = {}
    optional = {}
    for name, field in kind.fields.items():
        strategy = value_of(field.type, known_ids)
        if isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined:
            required[name] = strategy
        else:
            optional[name] = strategy
    return st.fixed_dictionaries(required, optional=optional)


def ill_typed() -> st.SearchStrategy[Any]:
    """Values GraphQL's coercion must refuse with a coded error, not a crash."""
    return st.one_of(
        st.none(),
        st.integers(min_value=2**31),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=5),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    )


def mutation_names(schema: GraphQLSchema) -> list[str]:
    mutation = schema.mutation_type
    assert mutation is not None
    return sorted(mutation.fields)


def arguments(
    schema: GraphQLSchema, name: str, known_ids: list[str]
) -> st.SearchStrategy[dict[str, Any]]:
    """The variables of one call: each argument well-typed, now and then ill-typed."""
    field = _field(schema, name)
    typed = st.fixed_dictionaries(
        {a: value_of(arg.type, known_ids) for a, arg in field.args.items()}
    )
    if not field.args:
        return typed
    wrong = st.fixed_dictionaries({a: ill_typed() for a in field.args})
    return st.one_of(typed, typed, typed, wrong)


def _field(schema: GraphQLSchema, name: str) -> GraphQLField:
    mutation = schema.mutation_type
    assert mutation is not None
    return mutation.fields[name]


def document(schema: GraphQLSchema, name: str) -> str:
    """`mutation M($a: T!) { name(a: $a) { every payload field, objects by __typename id } }`."""
    field = _field(schema, name)
    declared = ", ".join(f"${a}: {arg.type}" for a, arg in field.args.items())
    passed = ", ".join(f"{a}: ${a}" for a in field.args)
    payload = get_named_type(field.type)
    assert isinstance(payload, GraphQLObjectType), print_type(payload)
    selection = " ".join(_select(n, f) for n, f in payload.fields.items())
    head = f"mutation M({declared})" if declared else "mutation M"
    call = f"{name}({passed})" if passed else name
    return f"{head} {{ {call} {{ {selection} }} }}"


def _select(name: str, field: GraphQLField) -> str:
    named = get_named_type(field.type)
    if is_leaf_type(named):
        return name
    assert isinstance(named, GraphQLObjectType)
    inner = ["__typename"] + [
        n for n, f in named.fields.items() if is_leaf_type(get_named_type(f.type)) and not f.args
    ]
    return f"{name} {{ {' '.join(inner)} }}"
