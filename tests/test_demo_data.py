"""Demo data: counts, determinism, integrity and exact round trips, on every engine."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from dino_backup import demo
from dino_backup.demo import generate_demo_data, loaders
from dino_backup.demo import rows as demo_rows
from dino_backup.errors import InvalidInput
from dino_backup.schema import dino

USERS, VISITS = 30, 300
CUID = re.compile(r"\Ac[0-9a-z]{24}\Z")


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(db_url)
    yield engine
    engine.dispose()


def _key(table: sa.Table) -> sa.Column[Any]:
    return table.c.id if "id" in table.c else table.c.token


def _table_rows(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            table.name: [tuple(row) for row in conn.execute(sa.select(table))]
            for table in dino.metadata.sorted_tables
        }


def _expected_rows(seed: int, users: int, visits: int) -> dict[str, list[tuple[Any, ...]]]:
    """The generator's own rows, with datetimes as SQLAlchemy reads them back."""
    source = demo_rows.DemoRows(seed, demo_rows.datetime_from_ms)
    return {table.name: list(rows) for table, rows in demo._plan(source, users, visits)}


def _sorted(rows: list[tuple[Any, ...]], table: sa.Table) -> list[tuple[Any, ...]]:
    position = list(table.c).index(_key(table))
    return sorted(rows, key=lambda row: row[position])


def test_counts_match_the_request_and_the_tables(engine: sa.Engine) -> None:
    counts = generate_demo_data(engine, USERS, VISITS, seed=1)
    stored = {name: len(rows) for name, rows in _table_rows(engine).items()}
    assert counts == stored
    assert (counts["User"], counts["CountryVisit"]) == (USERS, VISITS)
    assert USERS <= counts["Account"] <= 2 * USERS  # one each, a few have both providers
    assert USERS <= counts["Session"] <= 4 * USERS  # about two each
    assert counts["VerificationToken"] >= 1


def test_rows_round_trip_exactly_across_batches(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small batches and statements: many batches, prefetching and statement splits.
    monkeypatch.setattr(demo, "BATCH_ROWS", 64)
    monkeypatch.setattr(loaders, "_MYSQL_STATEMENT_BYTES", 5_000)
    generate_demo_data(engine, USERS, VISITS, seed=7)
    stored, expected = _table_rows(engine), _expected_rows(7, USERS, VISITS)
    for table in dino.metadata.sorted_tables:
        assert _sorted(stored[table.name], table) == _sorted(expected[table.name], table)


def test_same_seed_same_data_other_seed_other_data(engine: sa.Engine) -> None:
    generate_demo_data(engine, USERS, VISITS, seed=3)
    first = _table_rows(engine)
    dino.metadata.drop_all(engine)
    generate_demo_data(engine, USERS, VISITS, seed=3)
    assert _table_rows(engine) == first
    dino.metadata.drop_all(engine)
    generate_demo_data(engine, USERS, VISITS, seed=4)
    assert _table_rows(engine)["CountryVisit"] != first["CountryVisit"]


def test_visits_belong_to_existing_users(engine: sa.Engine) -> None:
    generate_demo_data(engine, USERS, VISITS)
    user, visit = dino.user, dino.country_visit
    with engine.connect() as conn:
        orphans = conn.execute(
            sa.select(sa.func.count())
            .select_from(visit.outerjoin(user, visit.c.userId == user.c.id))
            .where(user.c.id.is_(None))
        ).scalar_one()
        owners = conn.execute(sa.select(sa.func.count(sa.distinct(visit.c.userId)))).scalar_one()
    assert orphans == 0
    assert owners > USERS // 2  # spread over the users, not piled on a few


def test_emails_are_unique_and_ids_cuid_like(engine: sa.Engine) -> None:
    generate_demo_data(engine, USERS, VISITS)
    rows = _table_rows(engine)
    emails = [row[2] for row in rows["User"]]
    assert len(set(emails)) == len(emails) == USERS
    assert all(email and "@" in email for email in emails)
    ids = [row[0] for name in ("User", "Account", "Session", "CountryVisit") for row in rows[name]]
    assert all(CUID.match(value) for value in ids)
    assert len(set(ids)) == len(ids)


def test_realistic_values(engine: sa.Engine) -> None:
    generate_demo_data(engine, USERS, VISITS, seed=5)
    rows = _table_rows(engine)
    users, visits = rows["User"], rows["CountryVisit"]
    assert any(row[1] is None for row in users) and any(row[1] for row in users)  # names
    assert any(row[3] is None for row in users) and any(row[3] for row in users)  # verified
    assert {row[3] for row in rows["Account"]} == {"google", "github"}
    assert all(re.fullmatch(r"[A-Z]{2}", row[2]) for row in visits)
    assert any(row[4] is None for row in visits)  # ongoing stays
    assert all(row[4] is None or row[4] >= row[3] for row in visits)
    assert {row[6] for row in visits} <= {90, 30, 180, None}
    timestamps = [value for row in visits for value in row if isinstance(value, datetime)]
    assert all(value.microsecond % 1000 == 0 and value.tzinfo is None for value in timestamps)


def test_unicode_and_tricky_notes_survive(engine: sa.Engine) -> None:
    generate_demo_data(engine, USERS, VISITS, seed=2)
    with engine.connect() as conn:
        notes = set(conn.execute(sa.select(dino.country_visit.c.notes)).scalars())
    assert "Café — 東京 🦕" in notes
    assert None in notes
    assert notes <= set(demo_rows.NOTES)  # nothing mangled on the way in or out


def test_progress_reports_running_totals(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "BATCH_ROWS", 50)
    seen: list[int] = []
    counts = generate_demo_data(engine, USERS, VISITS, progress=seen.append)
    assert seen == sorted(set(seen))
    assert seen[-1] == sum(counts.values())
    assert len(seen) >= VISITS // 50


def test_a_failure_midway_rolls_everything_back(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "BATCH_ROWS", 50)

    def fail_on_third_batch(done: int) -> None:
        if done > 100:
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        generate_demo_data(engine, USERS, VISITS, progress=fail_on_third_batch)
    assert all(rows == [] for rows in _table_rows(engine).values())


def test_non_empty_tables_are_refused_and_left_alone(engine: sa.Engine) -> None:
    generate_demo_data(engine, 5, 20)
    before = _table_rows(engine)
    with pytest.raises(InvalidInput, match="empty"):
        generate_demo_data(engine, 5, 20)
    assert _table_rows(engine) == before


def test_generic_core_path_stores_the_same_rows(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drivers without a fast path go through SQLAlchemy's insertmanyvalues."""

    def core_loader(conn: sa.Connection) -> loaders.Loader:
        write = partial(loaders.write_core, conn)
        return loaders.Loader(write, demo_rows.datetime_from_ms, prefetch=False)

    monkeypatch.setattr(demo, "loader_for", core_loader)
    generate_demo_data(engine, 10, 50, seed=9)
    stored, expected = _table_rows(engine), _expected_rows(9, 10, 50)
    for table in dino.metadata.sorted_tables:
        assert _sorted(stored[table.name], table) == _sorted(expected[table.name], table)


def test_zero_rows_still_creates_the_schema(sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url)
    assert generate_demo_data(engine, 0, 0) == dict.fromkeys(dino.DINO_TABLES, 0)
    assert sorted(sa.inspect(engine).get_table_names()) == sorted(dino.DINO_TABLES)


@pytest.mark.parametrize(("users", "visits"), [(-1, 0), (0, -1), (0, 5)])
def test_bad_counts_are_invalid_input(sqlite_url: str, users: int, visits: int) -> None:
    with pytest.raises(InvalidInput):
        generate_demo_data(sa.create_engine(sqlite_url), users, visits)


def test_users_without_activity_still_get_the_visits() -> None:
    source = demo_rows.DemoRows(0)
    list(source.user_rows(3))
    source.users = [user._replace(activity=0) for user in source.users]
    assert len(list(source.visit_rows(10))) == 10


@given(st.integers(min_value=0, max_value=4_102_444_800_000))  # 1970 .. 2100
def test_timestamp_text_is_sqlalchemys_sqlite_format(ms: int) -> None:
    to_text = sqlite.DATETIME().bind_processor(sqlite.dialect())
    assert to_text is not None
    assert demo_rows.timestamp_text()(ms) == to_text(demo_rows.datetime_from_ms(ms))
