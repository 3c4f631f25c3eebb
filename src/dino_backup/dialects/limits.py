"""What a column can hold exactly, for values converted from another engine or type.

A fitter takes a converted value and returns the value the column will really store, plus
the reason when that differs (for the restore's warnings); a value that cannot be stored
at all raises ValueError. Fitting in Python (rather than letting the database round) makes
the result the same on every engine and lets the restore say what it changed.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
import struct
from collections.abc import Callable
from typing import Any

Fitter = Callable[[Any], tuple[Any, str | None]]

_PARAMS = re.compile(r"\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)")
_INT64 = (-(2**63), 2**63 - 1)


def type_params(type_: str) -> tuple[int, ...]:
    """(precision, scale) / (precision,) / () from a type such as NUMERIC(20, 6)."""
    m = _PARAMS.search(type_)
    if not m:
        return ()
    return tuple(int(g) for g in m.groups() if g is not None)


def decimal_places(scale: int) -> Fitter:
    step = decimal.Decimal(1).scaleb(-scale)

    def fit(value: Any) -> tuple[Any, str | None]:
        if not isinstance(value, decimal.Decimal) or not value.is_finite():
            return value, None
        exponent = value.as_tuple().exponent
        if not isinstance(exponent, int) or exponent >= -scale:
            return value, None
        rounded = value.quantize(step, rounding=decimal.ROUND_HALF_UP)
        return rounded, None if rounded == value else f"rounded to {scale} decimal places"

    return fit


def fraction_digits(digits: int) -> Fitter:
    """Date-times and times cut to `digits` fractional-second digits."""
    unit = 10 ** (6 - digits)

    def fit(value: Any) -> tuple[Any, str | None]:
        if not isinstance(value, dt.datetime | dt.time) or value.microsecond % unit == 0:
            return value, None
        cut = value.replace(microsecond=value.microsecond // unit * unit)
        return cut, f"fractional seconds cut to {digits} digit(s)"

    return fit


def single_precision(value: Any) -> tuple[Any, str | None]:
    """A 4-byte float column: the nearest single-precision value."""
    if not isinstance(value, float) or not math.isfinite(value):
        return value, None
    single = float(struct.unpack("f", struct.pack("f", value))[0])
    if math.isinf(single):
        raise ValueError("beyond the single-precision range")
    return single, None if single == value else "rounded to single precision"


def real_number(value: Any) -> tuple[Any, str | None]:
    """SQLite stores numbers as 64-bit integers or doubles (15-17 significant digits)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if _INT64[0] <= value <= _INT64[1]:
            return value, None
        return float(value), "beyond 64 bits, stored as a binary float"
    if not isinstance(value, decimal.Decimal) or not value.is_finite():
        return value, None
    if value == value.to_integral_value() and _INT64[0] <= value <= _INT64[1]:
        return int(value), None
    as_float = float(value)
    exact = decimal.Decimal(repr(as_float)) == value
    return as_float, None if exact else "rounded to a binary float (SQLite has no decimals)"


def chain(fitters: list[Fitter]) -> Fitter | None:
    if not fitters:
        return None
    if len(fitters) == 1:
        return fitters[0]

    def fit(value: Any) -> tuple[Any, str | None]:
        reasons = []
        for f in fitters:
            value, reason = f(value)
            if reason:
                reasons.append(reason)
        return value, "; ".join(reasons) or None

    return fit
