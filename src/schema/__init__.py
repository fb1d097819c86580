"""strawberry types, inputs, payloads, access checks, loaders and the request context."""

# Register the domain enums with their contract names before any type refers to them.
from carepath.schema import enums as _enums  # noqa: F401
