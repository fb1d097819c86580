"""What an operation may cost, priced before anything runs.

Depth, alias and token limits bound a document's size, not its work: a page of 100
providers each asking two months of `availableSlots` is small text and seconds of CPU.
The price depends on the request's variables (`first: $n`, `from: $from`), so it is
taken when execution starts, after validation, rather than by a cached validation rule.

Every field costs 1; a connection multiplies what is selected inside it by its page size
(`first`/`last`, the default page when absent); `availableSlots` is priced as the slots
its range can hold, each computed and then resolved. Fields merge by response key, as
execution merges them, so repeating a selection costs nothing more.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    get_operation_ast,
    is_abstract_type,
    is_object_type,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from strawberry.extensions import SchemaExtension

from carepath.schema.errors import CodedError
from carepath.schema.pagination import MAX_PAGE
from carepath.services.booking import MAX_SLOT_RANGE
from carepath.services.timeslots import DAY_MINUTES, GRID_MINUTES

# A unit is about one field resolution (~20 microseconds here). The inbox (100
# conversations with 100 messages each, the default pages) costs about 81,000.
MAX_COST = 100_000
# availableSlots offers up to one slot per 15 minutes of its range; computing one (grid,
# window and overlap checks) costs about two field resolutions, then its fields resolve.
# A 62-day calendar with startsAt and endsAt costs 62 * 96 * 4 = 23,808.
SLOTS_PER_DAY = DAY_MINUTES // GRID_MINUTES
SLOT_COST = 2
SLOTS_FIELD = ("Provider", "availableSlots")
MAX_SLOT_DAYS = MAX_SLOT_RANGE // timedelta(days=1)
COST_CODE = "BAD_USER_INPUT"  # as for a page over MAX_PAGE: the client asked for too much


class CostLimit(SchemaExtension):
    """Refuses an operation whose price exceeds MAX_COST with one top-level error."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            operation = get_operation_ast(context.graphql_document, context.operation_name)
            if operation is not None:
                cost = operation_cost(
                    context.schema._schema,
                    operation,
                    _fragments(context.graphql_document.definitions),
                    context.variables or {},
                )
                if cost > MAX_COST:
                    raise CodedError(
                        COST_CODE,
                        f"The request would cost {cost}, over the limit of {MAX_COST}: ask "
                        "for smaller pages (first/last) or shorter availableSlots ranges.",
                    )
        yield


def _fragments(definitions: Iterable[Any]) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}


def operation_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> int:
    """The price of `operation` with these (raw JSON) variables.

    Variables that do not coerce price as absent: execution refuses them anyway.
    """
    coerced = get_variable_values(schema, operation.variable_definitions or (), dict(variables))
    values = VariableValues({}, {}) if isinstance(coerced, list) else coerced
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    return _Pricer(schema, fragments, values).selections(root, (operation.selection_set,))


class _Pricer:
    """Prices merged selection sets per concrete type, memoised, so that fragments reused
    at every level cost the walk no more than the document's own size."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        values: VariableValues,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.values = values
        self.memo: dict[tuple[str, tuple[int, ...]], int] = {}

    def selections(self, parent: Any, sets: Sequence[SelectionSetNode]) -> int:
        """The most any runtime type of `parent` can cost for these selection sets."""
        if is_abstract_type(parent):
            types = self.schema.get_possible_types(parent)
            return max((self.selections(t, sets) for t in types), default=0)
        if not is_object_type(parent):
            return 0
        key = (parent.name, tuple(id(s) for s in sets))
        if key not in self.memo:
            self.memo[key] = self._object(parent, sets)
        return self.memo[key]

    def _object(self, parent: GraphQLObjectType, sets: Sequence[SelectionSetNode]) -> int:
        total = 0
        for nodes in self._collect(parent, sets).values():
            definition = parent.fields.get(nodes[0].name.value)
            total += 1 if definition is None else self._field(parent, definition, nodes)
        return total

    def _field(self, parent: GraphQLObjectType, field: GraphQLField, nodes: list[FieldNode]) -> int:
        try:
            args = get_argument_values(field, nodes[0], self.values)
        except GraphQLError:
            args = {}  # refused when it runs
        sub_sets = [n.selection_set for n in nodes if n.selection_set is not None]
        inner = self.selections(get_named_type(field.type), sub_sets) if sub_sets else 0
        if (parent.name, nodes[0].name.value) == SLOTS_FIELD:
            slots = slot_days(args.get("from"), args.get("to")) * SLOTS_PER_DAY
            return 1 + slots * (SLOT_COST + inner)
        if "first" in field.args or "last" in field.args:
            return 1 + page_size(args) * inner
        return 1 + inner

    def _collect(
        self, parent: GraphQLObjectType, sets: Sequence[SelectionSetNode]
    ) -> dict[str, list[FieldNode]]:
        """Fields by response key, through the fragments that apply to `parent`."""
        fields: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()
        pending = list(reversed(sets))
        while pending:
            for selection in pending.pop().selections:
                if isinstance(selection, FieldNode):
                    key = selection.alias.value if selection.alias else selection.name.value
                    fields.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition
                    if condition is None or self._applies(condition.name.value, parent):
                        pending.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.fragments.get(name)
                    if name in visited or fragment is None:
                        continue
                    visited.add(name)
                    if self._applies(fragment.type_condition.name.value, parent):
                        pending.append(fragment.selection_set)
        return fields

    def _applies(self, condition: str, parent: GraphQLObjectType) -> bool:
        target = self.schema.get_type(condition)
        if target is None or target is parent:
            return target is parent
        return is_abstract_type(target) and self.schema.is_sub_type(target, parent)


def page_size(args: Mapping[str, Any]) -> int:
    """The rows a connection can return: `first`, else `last`, else the default page."""
    sizes = [v for v in (args.get("first"), args.get("last")) if isinstance(v, int)]
    size = min(sizes) if sizes else MAX_PAGE
    return max(0, min(size, MAX_PAGE))


def slot_days(start: Any, end: Any) -> int:
    """Days of an availableSlots range, whole days rounded up; a range the field refuses
    (reversed, too long, without an offset) costs one day, since nothing is computed."""
    if not (isinstance(start, datetime) and isinstance(end, datetime)):
        return 1
    try:
        span = end - start
    except TypeError:  # one naive, one aware
        return 1
    if span <= timedelta(0) or span > MAX_SLOT_RANGE:
        return 1
    return max(1, min(MAX_SLOT_DAYS, math.ceil(span / timedelta(days=1))))
