"""A logging filter that masks identity numbers, phones and bank cards in every log record.

``install_log_masking()`` wraps the log-record factory, so records of every logger (uvicorn's
included) are masked before any handler formats them; it is idempotent. Request paths of access
logs are percent-decoded first (``%2B86``, ``138-1234-5678``, an encoded name in the query).
"""

from __future__ import annotations

import logging
from typing import Any

from kb.privacy import mask_text, mask_url

# Loggers whose string arguments are request lines / paths (uvicorn's access log and ours).
ACCESS_LOGGERS = frozenset({"uvicorn.access", "leian.access"})


def _mask(value: Any) -> Any:
    return mask_text(value) if isinstance(value, str) else value


def _mask_url(value: Any) -> Any:
    return mask_url(value) if isinstance(value, str) else value


class PersonalDataFilter(logging.Filter):
    """Masks the message and its string arguments in place (argument types are kept for %d etc.)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_text(record.msg)
        if isinstance(record.args, tuple):
            mask = _mask_url if record.name in ACCESS_LOGGERS else _mask
            record.args = tuple(mask(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _mask(v) for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:
            # Tracebacks may quote petition text: format them now so the text can be masked.
            record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


_FILTER = PersonalDataFilter()


def install_log_masking() -> None:
    """Mask every log record created from now on (idempotent)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "leian_masking", False):
        return

    def masked_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        _FILTER.filter(record)
        return record

    masked_factory.leian_masking = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(masked_factory)
