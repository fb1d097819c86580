"""Parsed and validated documents kept across requests, within a memory bound.

Parsing and validation are most of a small query's cost, so documents are cached. A
parsed document keeps its whole source text and every token, about 50 to 150 bytes per
character of query, so strawberry's ParserCache and ValidationCache (bounded only by
entry count) let a few large documents pin hundreds of megabytes. This cache skips
documents over MAX_CACHED_QUERY_CHARS and evicts the least recently used ones once the
cached query text passes MAX_CACHED_CHARS (about 35 MB of documents at worst).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field

from graphql import ASTValidationRule, DocumentNode, GraphQLError, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

MAX_CACHED_QUERY_CHARS = 10_000
MAX_CACHED_CHARS = 256 * 1024

Rules = tuple[type[ASTValidationRule], ...]


@dataclass
class _Entry:
    document: DocumentNode
    errors: dict[Rules, list[GraphQLError]] = field(default_factory=dict)


class DocumentCache:
    """Least recently used documents by query text, bounded by their total length."""

    def __init__(self, max_chars: int, max_query_chars: int) -> None:
        self.max_chars = max_chars
        self.max_query_chars = max_query_chars
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._chars = 0

    def __contains__(self, query: object) -> bool:
        return query in self._entries

    def get(self, query: str) -> _Entry | None:
        entry = self._entries.get(query)
        if entry is not None:
            self._entries.move_to_end(query)
        return entry

    def put(self, query: str, document: DocumentNode) -> None:
        if len(query) > self.max_query_chars or query in self._entries:
            return
        self._entries[query] = _Entry(document)
        self._chars += len(query)
        while self._chars > self.max_chars:
            evicted, _ = self._entries.popitem(last=False)
            self._chars -= len(evicted)

    @property
    def cached_chars(self) -> int:
        return self._chars


CACHE = DocumentCache(MAX_CACHED_CHARS, MAX_CACHED_QUERY_CHARS)


class CachedDocuments(SchemaExtension):
    """Serves parse and validation from CACHE; anything not cached takes strawberry's
    own steps, which also report syntax errors (and the token limit) as GraphQL errors,
    over the WebSocket too."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        if query:
            entry = CACHE.get(query)
            if entry is not None:
                context.graphql_document = entry.document
            elif len(query) <= CACHE.max_query_chars:
                with suppress(GraphQLError):
                    context.graphql_document = parse(query, **context.parse_options)
                    CACHE.put(query, context.graphql_document)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        entry = CACHE.get(context.query) if context.query else None
        if entry is not None and entry.document is context.graphql_document:
            rules = tuple(context.validation_rules)
            if rules not in entry.errors:
                entry.errors[rules] = validate_document(
                    context.schema._schema, entry.document, rules
                )
            context.pre_execution_errors = list(entry.errors[rules])
        yield
