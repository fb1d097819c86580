"""Optional OpenTelemetry tracing, on when OTEL_EXPORTER_OTLP_ENDPOINT is set.

The packages are the `otel` extra (`pip install 'carepath[otel]'`), imported only then.
Spans carry operation names, field paths and timings: never the document (inline
literals can hold PHI) nor resolver arguments. An SDK tracer provider already installed
(`opentelemetry-instrument`, a test) is used as it is; otherwise one exporting over
OTLP/HTTP to that endpoint (the exporter reads the standard OTEL_* variables).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from carepath.settings import Settings

NOT_RECORDED = "[not recorded]"


def tracing_extension(settings: Settings) -> Any | None:
    """The schema extension to add, or None when tracing is off."""
    if not settings.otel_exporter_otlp_endpoint:
        return None
    try:
        from strawberry.extensions import LifecycleStep
        from strawberry.extensions.tracing import OpenTelemetryExtension
    except ImportError as exc:  # pragma: no cover - the extra is missing
        raise RuntimeError(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is not installed: "
            "pip install 'carepath[otel]'"
        ) from exc
    _install_provider()

    class PhiSafeTracing(OpenTelemetryExtension):
        """strawberry's extension without the document and without resolver arguments."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(arg_filter=lambda args, info: {}, **kwargs)

        def on_operation(self) -> Generator[None, None, None]:
            steps = super().on_operation()
            next(steps)
            # set before the span ends, so the document never leaves the process
            self._span_holder[LifecycleStep.OPERATION].set_attribute("query", NOT_RECORDED)
            try:
                yield
            finally:
                next(steps, None)

    return PhiSafeTracing


def _install_provider() -> None:
    from opentelemetry import trace

    if not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        return  # someone configured tracing already
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as exc:  # pragma: no cover - the extra is missing
        raise RuntimeError(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but the OTLP exporter is not installed: "
            "pip install 'carepath[otel]'"
        ) from exc
    provider = TracerProvider(resource=Resource.create({"service.name": "carepath"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
