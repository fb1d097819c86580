"""The Relay Node interface."""

from __future__ import annotations

import strawberry


@strawberry.interface(description="An object with an opaque global id.")
class Node:
    @strawberry.field
    def id(self) -> strawberry.ID:
        raise NotImplementedError  # every implementing type resolves its own id
