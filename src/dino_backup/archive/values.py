"""Exact encoding of database values as JSON.

JSON's own strings, integers (64-bit), finite floats, booleans and null are written as
they are. Everything else becomes a one-key object whose key names the type, so that
values come back with the type they were read with. Objects (dicts) are wrapped too, so a
stored object can never be mistaken for a tag; lists (arrays) are wrapped with each element
encoded the same way, so an array of dates or decimals comes back as one.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import math
import uuid
from collections.abc import Callable, Sequence
from itertools import chain
from typing import Any

import orjson

_NATIVE = {str, int, bool, type(None)}
_LINE = orjson.OPT_APPEND_NEWLINE
_INT64 = (-(2**63), 2**63 - 1)


def _encode_float(v: float) -> Any:
    return v if math.isfinite(v) else {"$f": repr(v)}


def _encode_int(v: int) -> Any:
    return v if _INT64[0] <= v <= _INT64[1] else {"$i": str(v)}


_ENCODERS: dict[type, Callable[[Any], Any]] = {
    float: _encode_float,
    bytes: lambda v: {"$b": base64.b64encode(v).decode("ascii")},
    bytearray: lambda v: {"$b": base64.b64encode(bytes(v)).decode("ascii")},
    memoryview: lambda v: {"$b": base64.b64encode(v.tobytes()).decode("ascii")},
    dt.datetime: lambda v: {"$dt": v.isoformat()},
    dt.date: lambda v: {"$d": v.isoformat()},
    dt.time: lambda v: {"$tm": v.isoformat()},
    dt.timedelta: lambda v: {"$td": [v.days, v.seconds, v.microseconds]},
    decimal.Decimal: lambda v: {"$n": str(v)},
    uuid.UUID: lambda v: {"$u": str(v)},
    dict: lambda v: {"$j": v},
    list: lambda v: {"$a": [encode_value(x) for x in v]},
}


def encode_value(v: Any) -> Any:
    t = type(v)
    if t in _NATIVE:
        return _encode_int(v) if t is int else v
    encoder = _ENCODERS.get(t)
    if encoder is None:
        for base, enc in _ENCODERS.items():
            if isinstance(v, base):
                return enc(v)
        return {"$s": str(v)}  # unknown driver type: keep its text form
    return encoder(v)


def encode_row(row: Sequence[Any]) -> bytes:
    """One row as a JSON array line (with trailing newline)."""
    try:
        if _NATIVE.issuperset(map(type, row)):
            return orjson.dumps(tuple(row), option=_LINE)
    except TypeError:  # an int beyond 64 bits
        pass
    return orjson.dumps([encode_value(v) for v in row], option=_LINE)


def encode_batch(rows: Sequence[Sequence[Any]]) -> bytes:
    """Many rows as JSON lines. The types of the whole batch are checked in one C-level
    pass, so a batch of plain values (the common case) costs no Python loop per value."""
    if _NATIVE.issuperset(map(type, chain.from_iterable(rows))):
        try:
            return b"".join([orjson.dumps(tuple(r), option=_LINE) for r in rows])
        except TypeError:  # an int beyond 64 bits
            pass
    return b"".join([encode_row(r) for r in rows])


def _decode_timedelta(v: list[int]) -> dt.timedelta:
    return dt.timedelta(days=v[0], seconds=v[1], microseconds=v[2])


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "$f": float,
    "$i": int,
    "$b": base64.b64decode,
    "$dt": dt.datetime.fromisoformat,
    "$d": dt.date.fromisoformat,
    "$tm": dt.time.fromisoformat,
    "$td": _decode_timedelta,
    "$n": decimal.Decimal,
    "$u": uuid.UUID,
    "$j": lambda v: v,
    "$a": lambda v: [decode_value(x) for x in v],
    "$s": str,
}


def decode_value(v: Any) -> Any:
    if type(v) is dict:
        ((tag, payload),) = v.items()
        return _DECODERS[tag](payload)
    return v


def decode_row(line: bytes) -> list[Any]:
    row = orjson.loads(line)
    for i, v in enumerate(row):
        if type(v) is dict:
            row[i] = decode_value(v)
    return row
