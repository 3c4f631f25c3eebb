"""What a database holds, read through SQLAlchemy's inspector: tables, columns, keys.

The engine works from these specs only, never from the DINO names, so any database that
SQLAlchemy reaches can be backed up.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ..errors import DatabaseUnreachable


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str  # the engine's type as SQLAlchemy renders it, e.g. "TIMESTAMP(3)"
    kind: str  # portable category: text|integer|float|numeric|boolean|datetime|date|time|
    #            binary|json|uuid|interval|other
    nullable: bool
    has_default: bool
    timezone: bool = False  # date-time / time values carry a time zone (timestamptz)


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    referred_table: str
    referred_columns: tuple[str, ...]
    ondelete: str | None


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[ColumnSpec, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    unique: tuple[tuple[str, ...], ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnSpec | None:
        return next((c for c in self.columns if c.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "columns": [c.__dict__ for c in self.columns],
            "primaryKey": list(self.primary_key),
            "foreignKeys": [
                {
                    "columns": list(fk.columns),
                    "referredTable": fk.referred_table,
                    "referredColumns": list(fk.referred_columns),
                    "ondelete": fk.ondelete,
                }
                for fk in self.foreign_keys
            ],
            "unique": [list(u) for u in self.unique],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TableSpec:
        return cls(
            name=data["name"],
            columns=tuple(ColumnSpec(**c) for c in data["columns"]),
            primary_key=tuple(data["primaryKey"]),
            foreign_keys=tuple(
                ForeignKey(
                    tuple(fk["columns"]),
                    fk["referredTable"],
                    tuple(fk["referredColumns"]),
                    fk.get("ondelete"),
                )
                for fk in data["foreignKeys"]
            ),
            unique=tuple(tuple(u) for u in data["unique"]),
        )


_KINDS: list[tuple[type, str]] = [
    (sa.Boolean, "boolean"),
    (sa.Integer, "integer"),
    (sa.Float, "float"),
    (sa.Numeric, "numeric"),
    (sa.DateTime, "datetime"),
    (sa.Date, "date"),
    (sa.Time, "time"),
    (sa.Interval, "interval"),
    (sa.LargeBinary, "binary"),
    (sa.JSON, "json"),
    (sa.Uuid, "uuid"),
    (sa.String, "text"),
]


def type_kind(t: sa.types.TypeEngine[Any]) -> str:
    # MySQL reports BOOLEAN as TINYINT(1); treat it as boolean so values cross engines.
    if type(t).__name__ == "TINYINT" and getattr(t, "display_width", None) == 1:
        return "boolean"
    if type(t).__name__ in ("BIT",):
        return "binary"
    for base, kind in _KINDS:
        if isinstance(t, base):
            return kind
    return "other"


def _render_type(t: sa.types.TypeEngine[Any], dialect: sa.Dialect) -> str:
    try:
        return str(t.compile(dialect=dialect))
    except Exception:  # some reflected types (NullType) cannot render
        return type(t).__name__


def _columns(insp: sa.Inspector, name: str) -> list[Any]:
    # Types SQLAlchemy does not know (xml, point, ...) are kind "other" and copied as the
    # driver returns them; no need to warn about each.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Did not recognize type", sa.exc.SAWarning)
        return list(insp.get_columns(name))


def _table_spec(insp: sa.Inspector, name: str, dialect: sa.Dialect) -> TableSpec:
    cols = tuple(
        ColumnSpec(
            name=c["name"],
            type=_render_type(c["type"], dialect),
            kind=type_kind(c["type"]),
            nullable=bool(c.get("nullable", True)),
            has_default=c.get("default") is not None or bool(c.get("autoincrement") is True),
            timezone=bool(getattr(c["type"], "timezone", False)),
        )
        for c in _columns(insp, name)
    )
    pk = tuple(insp.get_pk_constraint(name).get("constrained_columns") or ())
    fks = tuple(
        ForeignKey(
            tuple(fk["constrained_columns"]),
            fk["referred_table"],
            tuple(fk["referred_columns"]),
            (fk.get("options") or {}).get("ondelete"),
        )
        for fk in insp.get_foreign_keys(name)
    )
    uniques = [tuple(u["column_names"]) for u in insp.get_unique_constraints(name)]
    for index in insp.get_indexes(name):
        columns = tuple(c for c in index["column_names"] if c is not None)
        plain = len(columns) == len(index["column_names"])  # not on an expression
        if index.get("unique") and plain and columns not in uniques:
            uniques.append(columns)
    return TableSpec(name, cols, pk, fks, tuple(u for u in uniques if u != pk))


def reflect_tables(engine: sa.Engine) -> dict[str, TableSpec]:
    """Every user table of the database's default schema, by name."""
    try:
        with engine.connect() as conn:
            insp = sa.inspect(conn)
            names = [n for n in insp.get_table_names() if not n.startswith("sqlite_")]
            return {n: _table_spec(insp, n, engine.dialect) for n in names}
    except sa.exc.OperationalError as exc:
        raise DatabaseUnreachable(f"cannot read the database: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", exc)) or type(exc).__name__
    return text.strip().splitlines()[0][:200]


def dependency_order(specs: list[TableSpec]) -> list[TableSpec]:
    """Parents before children (foreign-key order); cycles keep their input order."""
    by_name = {s.name: s for s in specs}
    done: list[TableSpec] = []
    seen: set[str] = set()

    def visit(spec: TableSpec, path: set[str]) -> None:
        if spec.name in seen or spec.name in path:
            return
        path.add(spec.name)
        for fk in spec.foreign_keys:
            parent = by_name.get(fk.referred_table)
            if parent is not None and parent.name != spec.name:
                visit(parent, path)
        seen.add(spec.name)
        done.append(spec)

    for spec in sorted(specs, key=lambda s: s.name):
        visit(spec, set())
    return done
