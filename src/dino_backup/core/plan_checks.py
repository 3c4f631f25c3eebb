"""What a conflict strategy forbids, checked on the plan before any row is written."""

from __future__ import annotations

from typing import Any

from ..errors import IncompatibleSchema, RestoreConflict
from .plan import TablePlan
from .schema_match import TableMatch


def refuse_keyless(matches: list[TableMatch], strategy: str) -> None:
    keyless = [m.name for m in matches if not m.key]
    if keyless and strategy != "replace":
        raise IncompatibleSchema(
            f"table(s) without a primary key: {', '.join(keyless)}; only --conflict replace "
            "can restore them"
        )


def _conflicting(plans: dict[str, TablePlan]) -> None:
    rows = {name: p for name, p in plans.items() if p.conflicting}
    if rows:
        detail = "; ".join(
            f"{name}: {p.conflicting} row(s), e.g. {p.samples.get('conflicting', [])[:3]}"
            for name, p in rows.items()
        )
        raise RestoreConflict(f"rows exist with other values (--conflict fail): {detail}")


def _unique(plans: dict[str, TablePlan]) -> None:
    found = [(name, c) for name, p in plans.items() for c in p.unique_conflicts]
    if found:
        detail = "; ".join(f"{c['name']} ({c['rows']} row(s))" for _, c in found)
        raise RestoreConflict(f"unique values taken by other rows: {detail}")


def _foreign_keys(plans: dict[str, TablePlan]) -> None:
    found = [(name, f) for name, p in plans.items() for f in p.foreign_key_problems]
    if found:
        detail = "; ".join(
            f"{name}.{','.join(f['columns'])} -> {f['references']}: {f['rows']} row(s)"
            for name, f in found
        )
        raise IncompatibleSchema(f"rows would reference missing parents: {detail}")


def _restricted(plans: dict[str, TablePlan]) -> None:
    blocked = [
        f"{c['table']} ({c['rows']} row(s), ON DELETE {c['onDelete']})"
        for p in plans.values()
        for c in p.cascades
        if c["onDelete"] not in ("CASCADE", "SET NULL", "SET DEFAULT")
    ]
    if blocked:
        raise IncompatibleSchema(
            "rows of tables not being restored still reference rows the restore deletes: "
            + "; ".join(blocked)
        )


def refuse_forbidden(plans: dict[str, TablePlan], matches: list[TableMatch], strategy: str) -> None:
    refuse_keyless(matches, strategy)
    if strategy == "fail":
        _conflicting(plans)
    _unique(plans)
    _foreign_keys(plans)
    _restricted(plans)


def summarize(plans: dict[str, TablePlan]) -> dict[str, Any]:
    tables = {name: p.to_json() for name, p in plans.items()}
    totals = {
        k: sum(p[k] for p in tables.values())
        for k in ("insert", "update", "unchanged", "delete", "conflicting")
    }
    return {"tables": tables, "totals": totals}
