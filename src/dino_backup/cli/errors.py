"""Engine errors -> one-line message and exit code, in this one place."""

from __future__ import annotations

from .. import errors as e

EXIT_CODES: list[tuple[type[BaseException], int]] = [
    (e.InvalidInput, 2),
    (e.NotFound, 3),
    (e.WrongKey, 5),
    (e.IntegrityError, 4),
    (e.IncompatibleSchema, 6),
    (e.Busy, 7),
    (e.StorageFull, 8),
    (e.DatabaseUnreachable, 9),
    (e.BackupError, 1),
]


def exit_code(exc: BaseException) -> int:
    for cls, code in EXIT_CODES:
        if isinstance(exc, cls):
            return code
    return 1


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
