"""Which tables a backup or restore touches: the seed's options mapped onto table groups.

Groups are configuration (DINO defaults below): `core` is always included, `userData`
with includeUserData, `sessions` (tokens) only with includeSessions. Tables outside every
group are included and named in a warning, so nothing is silently left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import InvalidInput, NotFound
from ..settings import Settings

DINO_GROUPS: dict[str, tuple[str, ...]] = {
    "core": ("User",),
    "userData": ("CountryVisit",),
    "sessions": ("Session", "Account", "VerificationToken"),
}


@dataclass(frozen=True)
class TableGroups:
    core: tuple[str, ...] = DINO_GROUPS["core"]
    user_data: tuple[str, ...] = DINO_GROUPS["userData"]
    sessions: tuple[str, ...] = DINO_GROUPS["sessions"]

    @classmethod
    def from_settings(cls, settings: Settings) -> TableGroups:
        g = settings.table_groups
        default = cls()
        return cls(
            core=g.get("core", default.core),
            user_data=g.get("userData", default.user_data),
            sessions=g.get("sessions", default.sessions),
        )

    def grouped(self) -> set[str]:
        return {*self.core, *self.user_data, *self.sessions}


def parse_table_list(text: str | Iterable[str] | None) -> list[str] | None:
    """'A,B' or ['A', 'B'] -> ['A', 'B']; None or empty -> None (no explicit list)."""
    if text is None:
        return None
    items = text.split(",") if isinstance(text, str) else list(text)
    names = [n.strip() for n in items if n and n.strip()]
    for n in names:
        if len(n) > 128 or "\0" in n:
            raise InvalidInput(f"invalid table name {n[:40]!r}")
    return names or None


def select_for_backup(
    available: Iterable[str],
    groups: TableGroups,
    include_user_data: bool,
    include_sessions: bool,
    explicit: list[str] | None,
) -> tuple[list[str], list[str]]:
    """(tables to back up, warnings)."""
    names = set(available)
    if explicit:
        missing = [t for t in explicit if t not in names]
        if missing:
            raise NotFound(f"table(s) not in the database: {', '.join(missing)}")
        return sorted(set(explicit)), []
    chosen = names & set(groups.core)
    if include_user_data:
        chosen |= names & set(groups.user_data)
    if include_sessions:
        chosen |= names & set(groups.sessions)
    outside = sorted(names - groups.grouped())
    warnings = []
    if outside:
        warnings.append(f"tables outside any group included: {', '.join(outside)}")
    return sorted(chosen | set(outside)), warnings


def select_for_restore(
    in_backup: Iterable[str],
    groups: TableGroups,
    skip_user_data: bool,
    skip_sessions: bool,
    explicit: list[str] | None,
) -> list[str]:
    names = set(in_backup)
    if explicit:
        missing = [t for t in explicit if t not in names]
        if missing:
            raise NotFound(f"table(s) not in this backup: {', '.join(missing)}")
        names = set(explicit)
    if skip_user_data:
        names -= set(groups.user_data)
    if skip_sessions:
        names -= set(groups.sessions)
    return sorted(names)
