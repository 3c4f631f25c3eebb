"""Fast, deterministic demo data for the DINO tables: `generate_demo_data`.

Speed comes from three things:
- Rows are made in key order: users chronologically (so their cuid-like ids ascend),
  then each table user by user. Every primary key and `userId` index is appended to
  instead of split at random places, which is what makes InnoDB and PostgreSQL slow.
- On the servers, the next batch is generated in a worker thread while the database
  stores this one.
- Each batch goes in the fastest way the driver offers: psycopg COPY, sqlite3
  `executemany`, multi-row INSERTs for PyMySQL, SQLAlchemy insertmanyvalues otherwise.
Memory is bounded by the number of users (their ids are kept), not by the visits.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..errors import InvalidInput
from ..schema import dino
from .loaders import Loader, loader_for
from .rows import BATCH_ROWS, REFERENCE_NOW, DemoRows, Row

__all__ = ["BATCH_ROWS", "REFERENCE_NOW", "generate_demo_data"]

Progress = Callable[[int], None]

# --- the entry point ---


def _batches(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _prefetched(batches: Iterator[list[Row]]) -> Iterator[list[Row]]:
    """Make the next batch in a worker thread while the caller writes this one.

    The database (or its driver, outside the GIL) works while Python generates. Only
    one thread ever advances `batches`, and at most two batches exist at a time.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-rows") as pool:
        pending = pool.submit(next, batches, None)
        while (batch := pending.result()) is not None:
            pending = pool.submit(next, batches, None)
            yield batch


def _plan(source: DemoRows, users: int, visits: int) -> list[tuple[sa.Table, Iterator[Row]]]:
    # Generators run lazily, in this order: users are all known before anything refers to them.
    return [
        (dino.user, source.user_rows(users)),
        (dino.account, source.account_rows()),
        (dino.session, source.session_rows()),
        (dino.verification_token, source.verification_token_rows()),
        (dino.country_visit, source.visit_rows(visits)),
    ]


def _load(
    loader: Loader, plan: list[tuple[sa.Table, Iterator[Row]]], progress: Progress | None
) -> dict[str, int]:
    counts = dict.fromkeys(dino.DINO_TABLES, 0)
    done = 0
    for table, rows in plan:
        batches = _batches(rows, BATCH_ROWS)
        for batch in _prefetched(batches) if loader.prefetch else batches:
            loader.write(table, batch)
            counts[table.name] += len(batch)
            done += len(batch)
            if progress is not None:
                progress(done)
    return counts


def _check_empty(conn: Connection) -> None:
    # Ids and emails derive from the seed and the row's position: they would collide.
    for table in dino.metadata.sorted_tables:
        if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
            raise InvalidInput(f"demo data needs empty DINO tables, but {table.name} has rows")


def _check_counts(users: int, visits: int) -> None:
    if users < 0 or visits < 0:
        raise InvalidInput(f"counts must not be negative (users={users}, visits={visits})")
    if visits and not users:
        raise InvalidInput("visits need at least one user to belong to")


def generate_demo_data(
    engine: Engine,
    users: int,
    visits: int,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Fill the DINO tables (created if absent) with realistic rows; return rows per table.

    The same seed gives the same rows. All rows go in one transaction; `progress` gets
    the running total of rows written (all tables) after each batch. The tables must be
    empty (InvalidInput otherwise), as are negative counts or visits without users.
    """
    _check_counts(users, visits)
    dino.create_schema(engine)
    with engine.begin() as conn:
        _check_empty(conn)
        loader = loader_for(conn)
        plan = _plan(DemoRows(seed, loader.timestamp), users, visits)
        return _load(loader, plan, progress)
