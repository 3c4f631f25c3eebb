"""Backup IDs: the seed's `backup_<epoch ms>_<9 base36 chars>`, validated by one pattern."""

import re
import secrets
import time

from .errors import InvalidInput

ID_PATTERN = re.compile(r"\Abackup_[0-9]{13}_[0-9a-z]{9}\Z")
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_backup_id(now_ms: int | None = None) -> str:
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    suffix = "".join(secrets.choice(_BASE36) for _ in range(9))
    return f"backup_{ms:013d}_{suffix}"


def validate_backup_id(value: object) -> str:
    """Return the ID if it has exactly the seed's form; raise InvalidInput otherwise.

    Every path built from an ID goes through here first, so `../`, NUL bytes and
    other surprises never reach the file system or the object store.
    """
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        shown = repr(value)[:60]
        raise InvalidInput(
            f"invalid backup id {shown}: expected backup_<13 digits>_<9 base36 chars>"
        )
    return value


def id_timestamp_ms(backup_id: str) -> int:
    return int(validate_backup_id(backup_id).split("_")[1])
