"""Automatic persisted queries (Apollo's APQ protocol) and an allow-list for production.

A client sends `extensions.persistedQuery = {"version": 1, "sha256Hash": H}` without
the document; an unknown hash answers `PersistedQueryNotFound` (HTTP 200 and JSON, as
Apollo Server does: Apollo Client then sends the document with the hash, which
registers it once the hash is checked). Known documents are the manifest
(PERSISTED_QUERIES_FILE: a JSON object of sha256 -> document, e.g. built from the
client's .graphql files) and the documents registered at run time, kept in a bounded
in-process LRU (per server process: another process answers NotFound once and learns it).

PERSISTED_QUERIES: `on` (default) as above; `off` ignores the extension when a document
is sent and answers `PersistedQueryNotSupported` when only a hash is; `only` runs
nothing but the manifest's documents (by hash or by full text): an unknown hash is
`PERSISTED_QUERY_NOT_FOUND`, any other document a 403 `QUERY_NOT_ALLOWED`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from pathlib import Path
from typing import Any

from carepath.http_guards import Refusal
from carepath.settings import Settings, SettingsError

NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
NOT_ALLOWED = "QUERY_NOT_ALLOWED"
MAX_ENTRIES = 2000
MAX_TOTAL_CHARS = 4 * 1024 * 1024
MAX_DOCUMENT_CHARS = 64 * 1024  # larger documents run but are not kept
_SHA256 = re.compile(r"[0-9a-f]{64}")
# Apollo Server's answer for these two: 200, JSON, never cached by a proxy.
_APQ_HEADERS = {"Cache-Control": "private, no-cache, must-revalidate"}


def sha256_of(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


class DocumentLru:
    """Registered documents by hash: least recently used out past `max_entries` or
    `max_chars` in all; a document over `max_document_chars` is never stored."""

    def __init__(self, max_entries: int, max_chars: int, max_document_chars: int) -> None:
        self.max_entries = max_entries
        self.max_chars = max_chars
        self.max_document_chars = max_document_chars
        self._documents: OrderedDict[str, str] = OrderedDict()
        self._chars = 0

    def __len__(self) -> int:
        return len(self._documents)

    @property
    def chars(self) -> int:
        return self._chars

    def get(self, sha: str) -> str | None:
        document = self._documents.get(sha)
        if document is not None:
            self._documents.move_to_end(sha)
        return document

    def put(self, sha: str, document: str) -> None:
        if len(document) > self.max_document_chars or sha in self._documents:
            return
        self._documents[sha] = document
        self._chars += len(document)
        while len(self._documents) > self.max_entries or self._chars > self.max_chars:
            _, evicted = self._documents.popitem(last=False)
            self._chars -= len(evicted)


def load_manifest(path: Path | None) -> dict[str, str]:
    """PERSISTED_QUERIES_FILE as {sha256: document}, each key checked against its document
    (a wrong key would let the manifest run a document under another's hash)."""
    if path is None:
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SettingsError(f"PERSISTED_QUERIES_FILE {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise SettingsError(f"PERSISTED_QUERIES_FILE {path}: expected an object of hash: query")
    manifest: dict[str, str] = {}
    for sha, document in raw.items():
        if not isinstance(document, str) or sha256_of(document) != sha.lower():
            raise SettingsError(f"PERSISTED_QUERIES_FILE {path}: {sha} is not its query's sha256")
        manifest[sha.lower()] = document
    return manifest


class PersistedQueries:
    """Resolves a request's document from its persisted-query hash, by the mode."""

    def __init__(self, settings: Settings) -> None:
        self.mode = settings.persisted_queries
        self.manifest = load_manifest(settings.persisted_queries_file)
        self.registered = DocumentLru(MAX_ENTRIES, MAX_TOTAL_CHARS, MAX_DOCUMENT_CHARS)

    def resolve(self, request: dict[str, Any]) -> str:
        """The document to run for a GraphQL request object (HTTP body or WebSocket
        `subscribe` payload); a Refusal when there is none to run."""
        query = request.get("query")
        sha = self._hash(request.get("extensions"))
        if self.mode == "off":
            if not isinstance(query, str):
                raise Refusal(200, NOT_SUPPORTED, "PersistedQueryNotSupported", **_apq())
            return query
        if query is None:
            if sha is None:
                raise Refusal(400, "BAD_REQUEST", "The request must have a `query` string.")
            known = self._known(sha)
            if known is None:
                raise Refusal(200, NOT_FOUND, "PersistedQueryNotFound", **_apq())
            return known
        if not isinstance(query, str) or not query.strip():
            raise Refusal(400, "BAD_REQUEST", "The request must have a `query` string.")
        if sha is None and self.mode == "on":
            return query  # an ordinary request
        actual = sha256_of(query)
        if sha is not None and sha != actual:
            raise Refusal(400, "BAD_REQUEST", "provided sha does not match query")
        if self.mode == "only":
            if actual not in self.manifest:
                raise Refusal(
                    403,
                    NOT_ALLOWED,
                    "This server runs only the documents of its persisted-query list.",
                )
        elif sha is not None:
            self.registered.put(sha, query)
        return query

    def _known(self, sha: str) -> str | None:
        document = self.manifest.get(sha)
        if document is None and self.mode == "on":
            document = self.registered.get(sha)
        return document

    @staticmethod
    def _hash(extensions: Any) -> str | None:
        """The request's sha256Hash (lower case), None without the extension, or a 400."""
        if not isinstance(extensions, dict) or extensions.get("persistedQuery") is None:
            return None
        persisted = extensions["persistedQuery"]
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise Refusal(400, "BAD_REQUEST", "Only persistedQuery version 1 is supported.")
        sha = persisted.get("sha256Hash")
        if not isinstance(sha, str) or not _SHA256.fullmatch(sha.lower()):
            raise Refusal(400, "BAD_REQUEST", "persistedQuery.sha256Hash must be 64 hex digits.")
        return sha.lower()


def _apq() -> dict[str, Any]:
    """Apollo's NotFound/NotSupported answers: JSON whatever the Accept, never cached."""
    return {"media_type": "application/json", "headers": _APQ_HEADERS}
