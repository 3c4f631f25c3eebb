"""Match a backup's table schema to the database's before anything is written.

Columns only in the backup are dropped (warning); columns only in the database get their
default or NULL, unless NOT NULL without a default (refused); changed types and other
engines get deliberate converters (see convert.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..dialects.limits import Fitter
from ..errors import IncompatibleSchema
from ..schema.reflect import ColumnSpec, TableSpec
from .convert import ConversionLog, column_converter


@dataclass
class TableMatch:
    name: str
    target: TableSpec
    source_indexes: list[int]  # positions in the backup's rows of the loaded columns
    columns: list[str]  # loaded columns, target names
    converters: list[Callable[[Any], Any] | None]
    warnings: list[str]

    @property
    def key(self) -> tuple[str, ...]:
        """Columns that identify a row: the primary key, else a unique set of NOT NULL
        columns (rows are then matched, not all deleted and inserted again); () if none."""
        pk = self.target.primary_key
        if pk:
            return pk if all(c in self.columns for c in pk) else ()
        return next((u for u in self.target.unique if u and self._identifies(u)), ())

    def _identifies(self, columns: tuple[str, ...]) -> bool:
        """Unique and never NULL (NULLs are not equal to each other, so they match nothing)."""
        specs = [self.target.column(c) for c in columns]
        return all(s is not None and not s.nullable and s.name in self.columns for s in specs)

    def spec(self, column: str) -> ColumnSpec:
        found = self.target.column(column)
        assert found is not None, column
        return found


def match_table(
    source: TableSpec,
    target: TableSpec | None,
    same_engine: bool,
    log: ConversionLog,
    fitter: Callable[[ColumnSpec], Fitter | None] = lambda column: None,
) -> TableMatch:
    if target is None:
        raise IncompatibleSchema(f"table {source.name!r} does not exist in the database")
    warnings = []
    src_names = source.column_names
    dropped = [c for c in src_names if target.column(c) is None]
    if dropped:
        warnings.append(
            f"{source.name}: backup columns not in the database, dropped: {', '.join(dropped)}"
        )
    for col in target.columns:
        if source.column(col.name) is None:
            if not col.nullable and not col.has_default:
                raise IncompatibleSchema(
                    f"{source.name}.{col.name} is NOT NULL without a default and not in the backup"
                )
            filled = "filled by its default" + ("" if col.has_default else " (NULL)")
            warnings.append(f"{source.name}.{col.name}: not in the backup, {filled}")
    columns = [c for c in src_names if target.column(c) is not None]
    converters: list[Callable[[Any], Any] | None] = []
    for name in columns:
        s, t = source.column(name), target.column(name)
        assert s is not None and t is not None
        if same_engine and s.kind == t.kind:
            converters.append(None)
        else:
            converters.append(column_converter(f"{source.name}.{name}", t, log, fitter(t)))
            if s.kind != t.kind and s.kind != "other":
                warnings.append(f"{source.name}.{name}: {s.type} converted to {t.type}")
    return TableMatch(
        name=source.name,
        target=target,
        source_indexes=[src_names.index(c) for c in columns],
        columns=columns,
        converters=converters,
        warnings=warnings,
    )
