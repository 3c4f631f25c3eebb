"""The restore preview: what a restore will do to each table, computed by the database.

Everything is set-based SQL between a table and its staging copy (the backup's rows), so
a preview of millions of rows holds no table in memory: counts per category, the names of
changed columns, a few sample keys, foreign-key problems and unique-value conflicts.
The real restore computes the same plan inside its transaction and then does exactly it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ..dialects.base import Dialect
from ..schema.reflect import ColumnSpec, ForeignKey, TableSpec

SAMPLES = 5
STRATEGIES = ("replace", "merge", "skip", "fail")


@dataclass
class TablePlan:
    table: str
    insert: int = 0
    update: int = 0
    unchanged: int = 0
    delete: int = 0
    conflicting: int = 0  # skip/fail: rows whose key exists with other values
    changed_columns: list[str] = field(default_factory=list)
    conflicting_columns: list[str] = field(default_factory=list)  # skip/fail: they differ
    samples: dict[str, list[Any]] = field(default_factory=dict)
    foreign_key_problems: list[dict[str, Any]] = field(default_factory=list)
    unique_conflicts: list[dict[str, Any]] = field(default_factory=list)
    cascades: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "insert": self.insert,
            "update": self.update,
            "unchanged": self.unchanged,
            "delete": self.delete,
            "conflicting": self.conflicting,
            "changedColumns": self.changed_columns,
            "conflictingColumns": self.conflicting_columns,
            "samples": self.samples,
            "foreignKeyProblems": self.foreign_key_problems,
            "uniqueConflicts": self.unique_conflicts,
            "cascades": self.cascades,
        }


@dataclass(frozen=True)
class PlanTarget:
    """One table to plan: its spec in the database, staging name, key and loaded columns."""

    spec: TableSpec
    staging: str
    key: tuple[str, ...]
    columns: tuple[str, ...]

    def column(self, name: str) -> ColumnSpec:
        found = self.spec.column(name)
        assert found is not None, name
        return found


class Planner:
    def __init__(self, conn: sa.Connection, dialect: Dialect, strategy: str) -> None:
        self.conn = conn
        self.d = dialect
        self.strategy = strategy

    # -- helpers ---------------------------------------------------------------
    def q(self, name: str) -> str:
        return self.d.quote(name)

    def _scalar(self, sql: str) -> int:
        return int(self.conn.exec_driver_sql(sql).scalar() or 0)

    def _keys(self, key: Sequence[str], alias: str, from_where: str) -> list[Any]:
        cols = ", ".join(f"{alias}.{self.q(c)}" for c in key)
        order = ", ".join(f"{alias}.{self.q(c)}" for c in key)
        sql = f"SELECT {cols} {from_where} ORDER BY {order} LIMIT {SAMPLES}"
        rows = self.conn.exec_driver_sql(sql).fetchall()
        return [_json_key(r) for r in rows]

    def _join(self, t: PlanTarget, left: str, right: str) -> str:
        same = self.d.same_key
        return " AND ".join(
            same(f"{left}.{self.q(c)}", f"{right}.{self.q(c)}", t.column(c)) for c in t.key
        )

    def _differs(self, t: PlanTarget, column: str, left: str, right: str) -> str:
        q = self.q(column)
        return self.d.is_distinct(f"{left}.{q}", f"{right}.{q}", t.column(column))

    # -- per table ---------------------------------------------------------------
    def table(self, t: PlanTarget) -> TablePlan:
        plan = TablePlan(t.spec.name)
        table, staging = self.q(t.spec.name), self.q(t.staging)
        if not t.key:
            plan.insert = self._scalar(f"SELECT COUNT(*) FROM {staging}")
            plan.delete = self._scalar(f"SELECT COUNT(*) FROM {table}")
            return plan
        match = self._join(t, "t", "s")
        new = f"FROM {staging} s WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {match})"
        gone = f"FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM {staging} s WHERE {match})"
        plan.insert = self._scalar(f"SELECT COUNT(*) {new}")
        plan.samples["insert"] = self._keys(t.key, "s", new) if plan.insert else []
        plan.delete = self._scalar(f"SELECT COUNT(*) {gone}")
        plan.samples["delete"] = self._keys(t.key, "t", gone) if plan.delete else []
        self._matched(t, plan)
        return plan

    def loaded(self, t: PlanTarget, rows: int) -> TablePlan:
        """The plan `table` gives for a table that was empty, once its rows are loaded."""
        plan = TablePlan(t.spec.name, insert=rows)
        if t.key:
            everything = f"FROM {self.q(t.spec.name)} t"
            plan.samples = {"insert": self._keys(t.key, "t", everything) if rows else []}
            plan.samples.update(delete=[], update=[])
        return plan

    def _matched(self, t: PlanTarget, plan: TablePlan) -> None:
        table, staging = self.q(t.spec.name), self.q(t.staging)
        values = [c for c in t.columns if c not in t.key]
        join = f"FROM {staging} s JOIN {table} t ON {self._join(t, 't', 's')}"
        differs = [self._differs(t, c, "t", "s") for c in values]
        sums = [f"SUM(CASE WHEN {d} THEN 1 ELSE 0 END)" for d in differs]
        any_diff = " OR ".join(differs) if differs else "1=0"
        sums.append(f"SUM(CASE WHEN {any_diff} THEN 1 ELSE 0 END)")
        row = self.conn.exec_driver_sql(f"SELECT COUNT(*), {', '.join(sums)} {join}").one()
        matched, per_column, changed = int(row[0]), row[1:-1], int(row[-1] or 0)
        plan.update, plan.unchanged = changed, matched - changed
        plan.changed_columns = [c for c, n in zip(values, per_column, strict=True) if n]
        where = f"{join} WHERE {any_diff}"
        plan.samples["update"] = self._keys(t.key, "s", where) if changed else []

    # -- across tables -----------------------------------------------------------
    def foreign_keys(self, t: PlanTarget, restored: dict[str, PlanTarget]) -> list[dict[str, Any]]:
        """Rows of this table's backup whose parent will not exist after the restore."""
        problems = []
        for fk in t.spec.foreign_keys:
            if not set(fk.columns) <= set(t.columns):
                continue
            missing = self._orphans(t, fk, restored.get(fk.referred_table))
            if missing:
                problems.append(
                    {
                        "columns": list(fk.columns),
                        "references": fk.referred_table,
                        "rows": missing,
                    }
                )
        return problems

    def _orphans(self, t: PlanTarget, fk: ForeignKey, parent: PlanTarget | None) -> int:
        staging = self.q(t.staging)
        link = " AND ".join(
            f"p.{self.q(r)} = s.{self.q(c)}"
            for c, r in zip(fk.columns, fk.referred_columns, strict=True)
        )
        not_null = " AND ".join(f"s.{self.q(c)} IS NOT NULL" for c in fk.columns)
        sources = [self.q(fk.referred_table)]
        if parent is not None:
            sources = [self.q(parent.staging)]
            if self.strategy != "replace":
                sources.append(self.q(fk.referred_table))
        absent = " AND ".join(f"NOT EXISTS (SELECT 1 FROM {src} p WHERE {link})" for src in sources)
        return self._scalar(f"SELECT COUNT(*) FROM {staging} s WHERE {not_null} AND {absent}")

    def cascades(
        self, parent: PlanTarget, children: Sequence[tuple[TableSpec, ForeignKey]]
    ) -> list[dict[str, Any]]:
        """Rows of tables NOT being restored that reference parent rows a replace deletes."""
        found = []
        for child, fk in children:
            link = " AND ".join(
                f"s.{self.q(r)} = c.{self.q(c)}"
                for c, r in zip(fk.columns, fk.referred_columns, strict=True)
            )
            not_null = " AND ".join(f"c.{self.q(c)} IS NOT NULL" for c in fk.columns)
            n = self._scalar(
                f"SELECT COUNT(*) FROM {self.q(child.name)} c WHERE {not_null} AND NOT EXISTS "
                f"(SELECT 1 FROM {self.q(parent.staging)} s WHERE {link})"
            )
            if n:
                action = (fk.ondelete or "NO ACTION").upper()
                found.append({"table": child.name, "rows": n, "onDelete": action})
        return found

    def unique_conflicts(self, t: PlanTarget) -> list[dict[str, Any]]:
        """Backup rows whose unique values belong to another row that stays in the table."""
        if not t.key or self.strategy == "replace":
            return []  # replace leaves only the backup's rows, which were unique together
        conflicts = []
        for columns in t.spec.unique:
            if not set(columns) <= set(t.columns):
                continue
            n = self._scalar(self._unique_sql(t, columns))
            if n:
                conflicts.append(
                    {"columns": list(columns), "rows": n, "name": _unique_name(t, columns)}
                )
        return conflicts

    def _unique_sql(self, t: PlanTarget, columns: Sequence[str]) -> str:
        table, staging = self.q(t.spec.name), self.q(t.staging)
        same_value = " AND ".join(f"o.{self.q(c)} = s.{self.q(c)}" for c in columns)
        other_row = " OR ".join(self._differs(t, k, "o", "s") for k in t.key)
        survives = f"NOT EXISTS (SELECT 1 FROM {staging} x WHERE {self._join(t, 'x', 'o')})"
        if self.strategy in ("skip", "fail"):
            # Only inserted rows are written; every existing row keeps its values.
            survives = "1=1"
            inserted = f"NOT EXISTS (SELECT 1 FROM {table} e WHERE {self._join(t, 'e', 's')})"
        else:
            inserted = "1=1"
        return (
            f"SELECT COUNT(*) FROM {staging} s WHERE {inserted} AND EXISTS "
            f"(SELECT 1 FROM {table} o WHERE {same_value} AND ({other_row}) AND {survives})"
        )


def _unique_name(t: PlanTarget, columns: Sequence[str]) -> str:
    return f"{t.spec.name}_{'_'.join(columns)}_key"


def _json_key(row: Sequence[Any]) -> Any:
    values = [v if isinstance(v, str | int | float | type(None)) else str(v) for v in row]
    return values[0] if len(values) == 1 else values


def by_strategy(plan: TablePlan, strategy: str) -> TablePlan:
    """What the strategy makes of the plan: only replace deletes; skip and fail keep
    differing rows (conflicting) instead of updating them."""
    if strategy != "replace":
        plan.delete = 0
        plan.samples.pop("delete", None)
    if strategy in ("skip", "fail"):
        plan.conflicting, plan.update = plan.update, 0
        plan.conflicting_columns, plan.changed_columns = plan.changed_columns, []
        plan.samples["conflicting"] = plan.samples.pop("update", [])
    return plan
