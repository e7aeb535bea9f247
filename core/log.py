"""Logging helpers: every log record carries the correlation id of the request it was written in.

The id is stamped when the record is created (a log-record factory), so every handler and
formatter sees it, including pytest's and third-party ones. Outside a request it is ``-``.
"""

import logging
from contextvars import ContextVar

correlation_id: ContextVar[str] = ContextVar("correlation_id", default="-")

_base_factory = logging.getLogRecordFactory()


def _record_with_correlation_id(*args, **kwargs):
    record = _base_factory(*args, **kwargs)
    record.correlation_id = correlation_id.get()
    return record


if not getattr(_base_factory, "stamps_correlation_id", False):
    _record_with_correlation_id.stamps_correlation_id = True
    logging.setLogRecordFactory(_record_with_correlation_id)


class CorrelationIdFilter(logging.Filter):
    """For formatters that print ``%(correlation_id)s``: makes sure the attribute exists."""

    def filter(self, record):
        if not hasattr(record, "correlation_id"):
            record.correlation_id = correlation_id.get()
        return True


class SkipLoggedApiResponses(logging.Filter):
    """Django logs every 4xx/5xx response once more after the middleware has finished (so
    without the correlation id). API errors are already logged by the API with the id."""

    def filter(self, record):
        request = getattr(record, "request", None)
        return not (request is not None and request.path.startswith("/api/") and not record.exc_info)
