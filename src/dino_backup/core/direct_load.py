"""Restoring into empty tables: there is nothing to compare, so no staging.

When every table restored is empty and their foreign keys point only among them, the
plan can only be "insert every row", whatever the strategy. The rows then go straight
into the tables, parents first, with the engine's key, index and foreign-key work done once
afterwards where it allows (Dialect.bulk_load), inside the restore's transaction.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..dialects.base import Dialect
from .loading import RowLoader
from .plan import Planner, PlanTarget, TablePlan, by_strategy
from .schema_match import TableMatch


def all_empty(conn: sa.Connection, dialect: Dialect, matches: list[TableMatch]) -> bool:
    sql = "SELECT 1 FROM {} LIMIT 1"
    return all(
        conn.exec_driver_sql(sql.format(dialect.quote(m.name))).first() is None for m in matches
    )


def can_load_directly(conn: sa.Connection, dialect: Dialect, matches: list[TableMatch]) -> bool:
    """Every table empty, and every parent among them (a parent outside could lack rows;
    staging finds and names those before anything is written)."""
    names = {m.name for m in matches}
    parents = {fk.referred_table for m in matches for fk in m.target.foreign_keys}
    return parents <= names and all_empty(conn, dialect, matches)


def load_directly(
    conn: sa.Connection,
    dialect: Dialect,
    loader: RowLoader,
    matches: list[TableMatch],
    strategy: str,
) -> dict[str, TablePlan]:
    """Load every table and return the plan the preview gives for them."""
    with dialect.bulk_load(conn, [m.target for m in matches]):
        rows = {m.name: loader.load(conn, m, m.name) for m in matches}
    planner = Planner(conn, dialect, strategy)
    plans = {}
    for m in matches:
        dialect.after_restore(conn, m.target)
        target = PlanTarget(m.target, m.name, m.key, tuple(m.columns))
        plans[m.name] = by_strategy(planner.loaded(target, rows[m.name]), strategy)
    return plans
