"""The hash chain: each entry carries its own SHA-256 and the previous entry's.

`hash` is the SHA-256 of the entry's canonical JSON (sorted keys, compact, without `hash`);
`prev` is the previous entry's `hash` (64 zeros for the first). So an edited entry fails its
own hash, and a deleted, inserted or reordered one breaks the link (and `seq`) after it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

GENESIS = "0" * 64


def entry_hash(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def seal(entry: dict[str, Any], prev: str, seq: int) -> dict[str, Any]:
    """The entry as stored: seq and prev first (readable), then the fields, then its hash."""
    sealed = {"seq": seq, "prev": prev, **entry}
    sealed["hash"] = entry_hash(sealed)
    return sealed


@dataclass(frozen=True)
class ChainBreak:
    line: int
    seq: int | None
    reason: str


@dataclass(frozen=True)
class ChainReport:
    entries: int
    last_hash: str
    first_break: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def _parse(raw: bytes) -> dict[str, Any] | None:
    try:
        entry = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return entry if isinstance(entry, dict) else None


def _check(entry: dict[str, Any] | None, prev: str, seq: int) -> str | None:
    """Why this entry breaks the chain, or None when it links correctly."""
    if entry is None:
        return "not a JSON object (line damaged or truncated)"
    if entry.get("prev") != prev:
        return "link to the previous entry broken (an entry was removed, inserted or altered)"
    if entry.get("seq") != seq:
        return f"sequence number {entry.get('seq')!r} where {seq} was expected"
    if entry.get("hash") != entry_hash(entry):
        return "content does not match its hash (entry edited)"
    return None


def verify_lines(lines: Iterable[bytes]) -> ChainReport:
    prev, count = GENESIS, 0
    for number, raw in enumerate(lines, 1):
        entry = _parse(raw)
        reason = _check(entry, prev, number)
        if reason is not None or entry is None:
            seq = entry.get("seq") if entry else None
            where = ChainBreak(number, seq if isinstance(seq, int) else None, reason or "")
            return ChainReport(count, prev, where)
        prev, count = entry["hash"], count + 1
    return ChainReport(count, prev, None)
