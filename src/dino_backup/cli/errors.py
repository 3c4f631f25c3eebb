"""Engine errors -> one-line message and exit code, in this one place."""

from __future__ import annotations

import sqlalchemy as sa

from .. import errors as e

EXIT_CODES: list[tuple[type[BaseException], int]] = [
    (e.InvalidInput, 2),
    (e.NotFound, 3),
    (e.WrongKey, 5),
    (e.IntegrityError, 4),
    (e.IncompatibleSchema, 6),
    (e.Busy, 7),
    (e.RestoreConflict, 10),
    (e.StorageFull, 8),
    (e.DatabaseUnreachable, 9),
    (e.BackupError, 1),
    # Last resort for what the engine failed to translate: still one line, no traceback.
    (sa.exc.OperationalError, 9),
    (sa.exc.InterfaceError, 9),
]

# Errors that refuse an operation (bad input, wrong state) rather than fail it half way.
REFUSALS: tuple[type[BaseException], ...] = (
    e.InvalidInput,
    e.NotFound,
    e.WrongKey,
    e.IncompatibleSchema,
    e.Busy,
    e.RestoreConflict,
)

# What `handled` catches: the engine's errors and the untranslated ones above.
CAUGHT: tuple[type[BaseException], ...] = (e.BackupError, sa.exc.SQLAlchemyError, OSError)


def exit_code(exc: BaseException) -> int:
    for cls, code in EXIT_CODES:
        if isinstance(exc, cls):
            return code
    return 1


def refused(exc: BaseException) -> bool:
    return isinstance(exc, REFUSALS)


def one_line(exc: BaseException) -> str:
    """The first line of the message (of the driver's own error for a wrapped one)."""
    source = getattr(exc, "orig", None) or exc
    text = str(source).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
