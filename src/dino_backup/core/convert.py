"""Deliberate value conversion when a backup is restored into another engine or type.

Same engine, same column kind: values pass untouched (exact round trip). Otherwise each
column gets one converter chosen by the target column's kind; every conversion that
changes a value's representation is counted and reported once per column as a warning.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections import Counter
from collections.abc import Callable
from typing import Any

import orjson

from ..dialects.limits import Fitter
from ..errors import IncompatibleSchema
from ..schema.reflect import ColumnSpec

Converter = Callable[[Any], Any]
UTC = dt.UTC


class ConversionLog:
    """Counts conversions per (table.column, reason), for one warning line each."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()

    def note(self, where: str, reason: str) -> None:
        self.counts[(where, reason)] += 1

    def warnings(self) -> list[str]:
        return [f"{where}: {n} value(s) {reason}" for (where, reason), n in self.counts.items()]


_EPOCH = dt.datetime(1970, 1, 1)
# Below this many units an epoch number is read as seconds: 1e11 s is the year 5138, while
# 1e11 ms is only 1973-03-03 (Prisma's SQLite driver writes epoch milliseconds).
_SECONDS_BELOW = 1e11


def _parse_datetime(text: str) -> dt.datetime:
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    return dt.datetime.fromisoformat(value)


def _from_epoch(number: float) -> dt.datetime:
    """Naive UTC from epoch milliseconds (or seconds), in exact integer arithmetic."""
    if abs(number) < _SECONDS_BELOW:
        return _EPOCH + dt.timedelta(seconds=number)
    if isinstance(number, int):
        return _EPOCH + dt.timedelta(milliseconds=number)
    return _EPOCH + dt.timedelta(microseconds=round(number * 1000))


def _zoned(value: dt.datetime, with_zone: bool, note: Callable[[str], None]) -> dt.datetime:
    """Fit a date-time to the target column: aware for timestamptz, naive UTC otherwise."""
    if with_zone and value.tzinfo is None:
        note("without a time zone taken as UTC")
        return value.replace(tzinfo=UTC)
    if not with_zone and value.tzinfo is not None:
        note("with a time zone stored as UTC without one")
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _to_datetime(value: Any, note: Callable[[str], None]) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, bool):
        raise ValueError("boolean")
    if isinstance(value, int | float):
        note("read as epoch milliseconds (seconds below 1e11)")
        return _from_epoch(value)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        note("parsed from ISO text")
        return _parse_datetime(value)
    raise ValueError(type(value).__name__)


def to_datetime(value: Any, note: Callable[[str], None]) -> Any:
    return _zoned(_to_datetime(value, note), False, note)


def to_datetime_tz(value: Any, note: Callable[[str], None]) -> Any:
    return _zoned(_to_datetime(value, note), True, note)


def to_date(value: Any, note: Callable[[str], None]) -> Any:
    if isinstance(value, dt.datetime):
        note("truncated from date-time to date")
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        note("parsed from ISO text")
        return dt.date.fromisoformat(value.strip()[:10])
    if isinstance(value, int | float) and not isinstance(value, bool):
        note("read as epoch milliseconds (seconds below 1e11)")
        return _from_epoch(value).date()
    raise ValueError(type(value).__name__)


def to_time(value: Any, note: Callable[[str], None]) -> Any:
    if isinstance(value, dt.time):
        return value
    if isinstance(value, str):
        note("parsed from ISO text")
        return dt.time.fromisoformat(value.strip())
    if isinstance(value, dt.timedelta):  # MySQL TIME comes back as timedelta
        if not dt.timedelta(0) <= value < dt.timedelta(days=1):
            raise ValueError(f"{value} is not a time of day")
        return (dt.datetime.min + value).time()
    raise ValueError(type(value).__name__)


def to_boolean(value: Any, note: Callable[[str], None]) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | decimal.Decimal) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("0", "1", "true", "false", "t", "f"):
        note("converted from text to boolean")
        return value.strip().lower() in ("1", "true", "t")
    raise ValueError(repr(value)[:20])


def to_integer(value: Any, note: Callable[[str], None]) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, decimal.Decimal | float) and value == int(value):
        return int(value)
    if isinstance(value, str):
        note("converted from text to integer")
        return int(value.strip())
    raise ValueError(repr(value)[:20])


def to_float(value: Any, note: Callable[[str], None]) -> Any:
    if isinstance(value, float):
        return value
    if isinstance(value, int | decimal.Decimal | str) and not isinstance(value, bool):
        return float(value)
    raise ValueError(type(value).__name__)


def to_numeric(value: Any, note: Callable[[str], None]) -> Any:
    if isinstance(value, decimal.Decimal):
        return value
    if isinstance(value, float):
        note("converted from binary float to decimal")
        return decimal.Decimal(repr(value))
    if isinstance(value, int | str) and not isinstance(value, bool):
        return decimal.Decimal(value)
    raise ValueError(type(value).__name__)


def to_text(value: Any, note: Callable[[str], None]) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        note("written as ISO text")
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, bytes):
        raise ValueError("binary")
    if isinstance(value, dict | list):
        note("written as JSON text")
        return orjson.dumps(value).decode()
    note(f"converted from {type(value).__name__} to text")
    return str(value)


def to_binary(value: Any, note: Callable[[str], None]) -> Any:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        note("converted from text to bytes (UTF-8)")
        return value.encode()
    raise ValueError(type(value).__name__)


def identity(value: Any, note: Callable[[str], None]) -> Any:
    return value


_BY_KIND: dict[str, Callable[[Any, Callable[[str], None]], Any]] = {
    "datetime": to_datetime,
    "date": to_date,
    "time": to_time,
    "boolean": to_boolean,
    "integer": to_integer,
    "float": to_float,
    "numeric": to_numeric,
    "text": to_text,
    "binary": to_binary,
}


def column_converter(
    where: str, target: ColumnSpec, log: ConversionLog, fit: Fitter | None = None
) -> Converter:
    """Converter for one column; a value that cannot be converted stops the restore.

    `fit` (from the target's dialect) says how the converted value is really stored."""
    target_kind = target.kind
    convert: Callable[[Any, Callable[[str], None]], Any] = _BY_KIND.get(target_kind, identity)
    if target_kind == "datetime" and target.timezone:
        convert = to_datetime_tz

    def note(reason: str) -> None:
        log.note(where, reason)

    def run(value: Any) -> Any:
        if value is None:
            return None
        try:
            value = convert(value, note)
            if fit is not None:
                value, reason = fit(value)
                if reason:
                    note(reason)
            return value
        except (ValueError, TypeError, ArithmeticError, OverflowError) as exc:
            raise IncompatibleSchema(
                f"{where}: value {str(value)[:40]!r} cannot be stored as {target_kind} ({exc})"
            ) from None

    return run
