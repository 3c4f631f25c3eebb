"""PostgreSQL tables stored as COPY text decode to exactly the values the JSON Lines
encoding gives for the same rows (so cross-engine restores see no difference), and tables
with types COPY decoding does not know are stored as JSON Lines."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import make_database
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from types_support import TABLE, create_types_table, extreme_rows, insert_rows, row_strategy

from dino_backup.archive.pgcopy import LineDecoder
from dino_backup.archive.values import decode_row, encode_batch
from dino_backup.dialects.postgresql import PostgreSQLDialect
from dino_backup.errors import IntegrityError
from dino_backup.schema.reflect import reflect_tables


@pytest.fixture
def pg_engine(tmp_path: Path) -> Iterator[sa.Engine]:
    for url in make_database("postgresql", tmp_path):
        engine = sa.create_engine(url)
        yield engine
        engine.dispose()


def _both_ways(engine: sa.Engine, table: str) -> tuple[list[str] | None, list[Any], list[Any]]:
    """(COPY kinds, rows decoded from COPY text, rows decoded from JSON Lines)."""
    dialect = PostgreSQLDialect(engine)
    spec = reflect_tables(engine)[table]
    columns = spec.column_names
    with dialect.snapshot() as conn:
        kinds = dialect.copy_kinds(conn, spec, columns)
        via_json = [decode_row(line) for b in dialect.stream_rows(conn, spec, columns)
                    for line in encode_batch(b).splitlines()]  # fmt: skip
        if kinds is None:
            return None, [], via_json
        decode = LineDecoder(kinds)
        via_copy = [decode(line) for b in dialect.copy_out(conn, spec, columns)
                    for line in b.splitlines()]  # fmt: skip
    return kinds, via_copy, via_json


def _same(a: list[Any], b: list[Any]) -> bool:
    return sorted(map(repr, a)) == sorted(map(repr, b))  # repr: NaN equals NaN


def test_every_column_type_decodes_as_json_lines_does(pg_engine: sa.Engine) -> None:
    columns = create_types_table(pg_engine, "postgresql")
    insert_rows(pg_engine, columns, extreme_rows("postgresql"))
    kinds, via_copy, via_json = _both_ways(pg_engine, TABLE)
    assert kinds is not None and "bytea" in kinds and "float" in kinds
    assert len(via_copy) == 5 and _same(via_copy, via_json)


def test_generated_rows_decode_as_json_lines_does(pg_engine: sa.Engine) -> None:
    columns = create_types_table(pg_engine, "postgresql")

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(rows=st.lists(row_strategy("postgresql"), max_size=8))
    def check(rows: list[list[Any]]) -> None:
        with pg_engine.begin() as conn:
            conn.exec_driver_sql(f"DELETE FROM {TABLE}")
        insert_rows(pg_engine, columns, [[i, *r] for i, r in enumerate(rows)])
        _, via_copy, via_json = _both_ways(pg_engine, TABLE)
        assert len(via_copy) == len(rows) and _same(via_copy, via_json)

    check()


def test_other_types_decode_too_or_fall_back_to_json(pg_engine: sa.Engine) -> None:
    with pg_engine.begin() as conn:
        conn.exec_driver_sql("CREATE TYPE mood AS ENUM ('ok', 'tab\there')")
        conn.exec_driver_sql(
            "CREATE TABLE known (id int PRIMARY KEY, m mood, u uuid, t time, i interval, "
            "c char(4), s smallint)"
        )
        conn.exec_driver_sql(
            "INSERT INTO known VALUES (1, 'tab\there', gen_random_uuid(), '23:59:59.5', "
            "'1 mon 2 days 00:00:01', 'ab', -3), (2, NULL, NULL, NULL, NULL, NULL, NULL)"
        )
        conn.exec_driver_sql("CREATE TABLE listed (id int PRIMARY KEY, tags text[])")
        conn.exec_driver_sql("INSERT INTO listed VALUES (1, '{a,b}')")
    kinds, via_copy, via_json = _both_ways(pg_engine, "known")
    assert kinds == ["int", "text", "uuid", "time", "text", "text", "int"]
    assert _same(via_copy, via_json)
    kinds, _, via_json = _both_ways(pg_engine, "listed")
    assert kinds is None and via_json == [[1, ["a", "b"]]]


def test_copy_lines_are_checked() -> None:
    decode = LineDecoder(["int", "text", "bytea"])
    assert decode(b"1\ta\\tb\\\\c\\n\t\\\\x00ff") == [1, "a\tb\\c\n", b"\x00\xff"]
    assert decode(b"2\t\\N\t\\N") == [2, None, None]
    for bad in (b"1\ta", b"x\ta\t\\N", b"1\t\\q\t\\N"):
        with pytest.raises(IntegrityError):
            decode(bad)
    with pytest.raises(IntegrityError):
        LineDecoder(["int", "polygon"])
