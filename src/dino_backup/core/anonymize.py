"""Anonymized backups: a production copy that is safe to load into staging.

Configured per table and column (DINO defaults below), so the engine does not depend on
the DINO names. Emails become stable keyed hashes (HMAC-SHA256 with BACKUP_ANONYMIZE_KEY):
the same input gives the same output, so uniqueness and anything joined on them survive;
names and images are cleared. Tables holding tokens are never included.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import InvalidInput

Rule = str  # "email" | "null"

DINO_RULES: dict[str, dict[str, Rule]] = {
    "User": {"email": "email", "name": "null", "image": "null"},
}


class Anonymizer:
    def __init__(self, key: bytes, rules: dict[str, dict[str, Rule]] | None = None) -> None:
        self._key = key
        self.rules = DINO_RULES if rules is None else rules

    @classmethod
    def from_secret(cls, secret: str | None) -> Anonymizer:
        if not secret:
            raise InvalidInput("anonymizing needs BACKUP_ANONYMIZE_KEY (any long random string)")
        return cls(hashlib.sha256(b"dino-backup anonymize v1\0" + secret.encode()).digest())

    def email(self, value: Any) -> Any:
        if value is None:
            return None
        # The exact value: emails differing only in case (or spaces) are different users
        # wherever the column compares exactly, and must stay unique after hashing.
        digest = hmac.new(self._key, str(value).encode(), "sha256").hexdigest()
        return f"user-{digest[:24]}@anonymized.invalid"

    def row_transform(
        self, table: str, columns: Sequence[str]
    ) -> Callable[[Sequence[Any]], Sequence[Any]] | None:
        """A function rewriting one row of `table`, or None when nothing is touched."""
        rules = self.rules.get(table, {})
        plan = [(i, rules[c]) for i, c in enumerate(columns) if c in rules]
        if not plan:
            return None

        def transform(row: Sequence[Any]) -> Sequence[Any]:
            out = list(row)
            for i, rule in plan:
                out[i] = self.email(out[i]) if rule == "email" else None
            return out

        return transform
