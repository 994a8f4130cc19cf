"""OTLP receivers, the write-ahead log and the flusher that feeds the store.

Wiring (done by ``heron.app``)::

    wal = WriteAheadLog.open(settings)            # alias: Wal.open(settings)
    counters = IngestCounters()
    ingestor = Ingestor(wal, settings, counters=counters)
    flusher = Flusher(wal, normalizer.normalize, store, settings=settings,
                      observers=[...], counters=counters)
    flusher.start()
    app.include_router(otlp_router(ingestor, resolve_project))
    grpc_server = await start_grpc_server(ingestor, host, settings.grpc_port, resolve)
    ...
    await grpc_server.stop(5); flusher.stop(); wal.close()
"""

from heron.ingest.counters import IngestCounters
from heron.ingest.flusher import Flusher, LogsSink, Normalize, SpanSink
from heron.ingest.grpc_server import start_grpc_server
from heron.ingest.otlp_decode import decode_logs, decode_traces, encode_message
from heron.ingest.service import Ingestor
from heron.ingest.validate import ValidationResult, validate_logs, validate_traces
from heron.ingest.wal import RecordKind, Wal, WalRecord, WalStats, WriteAheadLog

__all__ = [
    "Flusher",
    "IngestCounters",
    "Ingestor",
    "LogsSink",
    "Normalize",
    "RecordKind",
    "SpanSink",
    "ValidationResult",
    "Wal",
    "WalRecord",
    "WalStats",
    "WriteAheadLog",
    "decode_logs",
    "decode_traces",
    "encode_message",
    "start_grpc_server",
    "validate_logs",
    "validate_traces",
]
