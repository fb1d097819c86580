"""What a document must be before it runs: RULES.md's limits, checked by validation rules.

The rule classes are built once, so that the validation cache (keyed on them) hits across
requests instead of filling with one-off classes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from graphql import (
    ASTValidationRule,
    DefinitionNode,
    DocumentNode,
    GraphQLError,
    SelectionSetNode,
    TypeInfo,
    ValidationContext,
    ValidationRule,
    print_ast,
    validate,
)
from graphql.validation import OverlappingFieldsCanBeMergedRule
from strawberry.extensions import (
    MaxAliasesLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

MAX_LEVELS = 12  # RULES.md counts the root field as level 1; strawberry counts it as depth 0
MAX_ALIASES = 30
MAX_TOKENS = 5000

_DEPTH_RULE = QueryDepthLimiter(max_depth=MAX_LEVELS - 1).validation_rules[0]
_ALIAS_RULE = MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules[0]


class DepthLimit(ValidationRule):
    """strawberry's depth rule, reporting the limit the way RULES.md counts it."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)

        def relabel(error: GraphQLError) -> None:
            context.report_error(
                GraphQLError(
                    f"The document is nested deeper than {MAX_LEVELS} levels "
                    "(the root field is level 1).",
                    error.nodes,
                )
            )

        _DEPTH_RULE(
            ValidationContext(context.schema, context.document, TypeInfo(context.schema), relabel)
        )


class MergeableFields(ValidationRule):
    """graphql-core's OverlappingFieldsCanBeMerged, on the document with identical
    sibling selections collapsed.

    The rule compares every pair of same-named fields and gives up ("Validation
    aborted.") after a few hundred repeats of one field, which a document well within
    the token limit can hold. Identical siblings always merge, so dropping the repeats
    changes no verdict; the rule's own budget still stops pathological documents.
    """

    def enter_document(self, node: DocumentNode, *_: Any) -> None:
        collapsed = DocumentNode(definitions=tuple(_collapsed_definitions(node)), loc=node.loc)
        for error in validate(self.context.schema, collapsed, [OverlappingFieldsCanBeMergedRule]):
            self.report_error(error)


def _collapsed_definitions(document: DocumentNode) -> Iterator[DefinitionNode]:
    for definition in document.definitions:
        selection_set = getattr(definition, "selection_set", None)
        yield _with_selections(definition, selection_set) if selection_set else definition


def _with_selections(node: Any, selection_set: SelectionSetNode) -> Any:
    """A copy of `node` whose selection set keeps the first of each identical selection."""
    seen: set[str] = set()
    kept = []
    for selection in selection_set.selections:
        printed = print_ast(selection)
        if printed in seen:
            continue
        seen.add(printed)
        inner = getattr(selection, "selection_set", None)
        kept.append(_with_selections(selection, inner) if inner else selection)
    return replace(
        node, selection_set=SelectionSetNode(selections=tuple(kept), loc=selection_set.loc)
    )


class DocumentRules(SchemaExtension):
    """Adds the depth and alias limits and swaps in the collapsing overlap check."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = _rules_for(context.validation_rules)
        yield


def _rules_for(
    rules: tuple[type[ASTValidationRule], ...],
) -> tuple[type[ASTValidationRule], ...]:
    swapped = tuple(
        MergeableFields if rule is OverlappingFieldsCanBeMergedRule else rule for rule in rules
    )
    return (*swapped, DepthLimit, _ALIAS_RULE)
