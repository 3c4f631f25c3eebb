"""Table sections in PostgreSQL's COPY text format (encoding "pgcopy"; see docs/FORMAT.md).

A PostgreSQL backup stores each table as the server's own `COPY ... TO STDOUT` output: the
server writes it in C (a JSON line per row would be built in Python, several times slower),
and a restore into PostgreSQL streams it back into `COPY ... FROM STDIN` unchanged. Any other
restore decodes it here into the same Python values the JSON Lines encoding gives, so the
rest of the engine never sees the difference.

One line per row; fields separated by a tab; `\\N` is NULL; a backslash escapes itself and
the control characters b f n r t v. Each column has a value kind, kept in the manifest.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import IntegrityError

ENCODING = "pgcopy"

_ESCAPES = {
    b"\\": b"\\",
    b"b": b"\b",
    b"f": b"\f",
    b"n": b"\n",
    b"r": b"\r",
    b"t": b"\t",
    b"v": b"\v",
}
_ESCAPED = re.compile(rb"\\(.)", re.DOTALL)


def _unescape(field: bytes) -> bytes:
    if b"\\" not in field:
        return field
    try:
        return _ESCAPED.sub(lambda m: _ESCAPES[m.group(1)], field)
    except KeyError:
        raise IntegrityError("COPY field holds an unknown escape") from None


def _text(field: bytes) -> str:
    return _unescape(field).decode()


def _bool(field: bytes) -> bool:
    return field == b"t"


def _bytea(field: bytes) -> bytes:
    return bytes.fromhex(_unescape(field)[2:].decode())  # hex output: \x0a1b...


# Value kinds: what the JSON Lines encoding gives for the same column (server text for
# date-times, intervals and JSON, as the PostgreSQL dialect reads them).
DECODERS: dict[str, Callable[[bytes], Any]] = {
    "text": _text,
    "int": int,
    "float": float,  # also 'NaN', 'Infinity', '-Infinity'
    "numeric": lambda f: decimal.Decimal(f.decode()),
    "bool": _bool,
    "uuid": lambda f: uuid.UUID(f.decode()),
    "bytea": _bytea,
    "time": lambda f: dt.time.fromisoformat(f.decode()),
}


class LineDecoder:
    """Turns COPY lines of one table into lists of Python values."""

    def __init__(self, kinds: Sequence[str]) -> None:
        try:
            self._decoders = [DECODERS[k] for k in kinds]
        except KeyError as exc:
            raise IntegrityError(f"unknown COPY value kind {exc.args[0]!r}") from None

    def __call__(self, line: bytes) -> list[Any]:
        fields = line.split(b"\t")
        if len(fields) != len(self._decoders):
            raise IntegrityError("COPY line has another number of fields than columns")
        try:
            return [
                None if f == b"\\N" else decode(f)
                for f, decode in zip(fields, self._decoders, strict=True)
            ]
        except (ValueError, UnicodeDecodeError) as exc:
            raise IntegrityError(f"COPY field does not decode: {exc}") from None
