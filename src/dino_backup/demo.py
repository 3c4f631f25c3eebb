"""Fast, deterministic demo data for the DINO tables: `generate_demo_data`.

Rows are generated lazily as tuples in each table's column order, in batches of
`BATCH_ROWS`, so memory stays bounded by the number of users (whose ids the visits
refer to), not by the number of visits. Each batch goes to the database the fastest
way the driver offers: psycopg COPY, sqlite3 / PyMySQL `executemany` (PyMySQL turns
it into multi-row INSERTs), or SQLAlchemy's insertmanyvalues for any other driver.
"""

from __future__ import annotations

import base64
import itertools
import random
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect, Engine

from .errors import InvalidInput
from .schema import dino

Row = tuple[Any, ...]
Writer = Callable[[sa.Table, list[Row]], None]

BATCH_ROWS = 10_000
# The demo's "now" is fixed, so a seed always gives the same rows ("expired" or not).
REFERENCE_NOW = datetime(2025, 6, 1)

_EPOCH = datetime(1970, 1, 1)
_DAY_MS = 86_400_000
_NOW_MS = (REFERENCE_NOW - _EPOCH) // timedelta(milliseconds=1)
_USERS_SINCE_MS = (datetime(2021, 1, 1) - _EPOCH) // timedelta(milliseconds=1)
_VISITS_SINCE_MS = (datetime(2018, 1, 1) - _EPOCH) // timedelta(milliseconds=1)


def _weighted(*pairs: tuple[Any, int]) -> tuple[Any, ...]:
    """Expand (value, weight) pairs so that one uniform index picks by weight (fast)."""
    return tuple(value for value, weight in pairs for _ in range(weight))


_COUNTRIES = _weighted(
    *[(c, 8) for c in ("JP", "TH", "US", "FR", "ES", "IT")],
    *[(c, 5) for c in ("DE", "GB", "KR", "VN", "PT", "MX", "ID", "GR", "TR")],
    *[(c, 3) for c in ("NL", "CA", "AU", "SG", "MY", "PH", "TW", "HK", "CN", "IN", "AE")],
    *[(c, 3) for c in ("HR", "CZ", "AT", "CH", "PL", "HU", "IE", "BE", "KH", "GE")],
    *[(c, 2) for c in ("BR", "AR", "CO", "PE", "CL", "MA", "EG", "ZA", "NZ")],
    *[(c, 1) for c in ("IS", "NO", "SE", "DK", "FI", "EE", "LT", "LV", "LA", "NP", "LK")],
    *[(c, 1) for c in ("JO", "CR", "CY", "MT", "UY", "KE", "TZ", "MN", "UZ", "AL")],
)
_PASSPORTS = _weighted(
    ("US", 5), ("GB", 3), ("KR", 3), ("DE", 3), ("FR", 2), ("CA", 2), ("AU", 2),
    ("JP", 2), ("IN", 2), ("NL", 1), ("BR", 1), ("ES", 1), (None, 4),
)  # fmt: skip
_VISAS = _weighted(
    (("Visa-free", 90), 30), (("Schengen", 90), 15), (("ESTA", 90), 5),
    (("Tourist visa", 30), 10), (("Visa on arrival", 30), 10), (("e-Visa", 30), 8),
    (("Business visa", 180), 5), (("Digital nomad visa", 180), 3), ((None, None), 14),
)  # fmt: skip
_NOTES = _weighted(
    (None, 60), ("", 2), ("Café — 東京 🦕", 3), ("Conference trip", 3),
    ("Visiting family", 3), ("Workation; watch the 90/180 rule!", 3),
    ("Seoul → Busan by KTX", 2), ("Straße nach München", 2), ("São Paulo carnival 🎉", 2),
    ("Хорошая поездка", 1), ("رحلة عمل", 1), ('Said "hi" to O\'Brien', 1),
    ("Line one\nLine two\twith tab", 1), ("Back\\slash and 100% _wildcards_", 1),
)  # fmt: skip
_FIRST_NAMES = (
    "Alex", "Mina", "José", "Zoë", "Łukasz", "Ana", "Chen", "Priya", "Liam", "Sofía",
    "Jae-won", "민준", "さくら", "Noah", "Amélie", "Björn", "Fatima", "Diego", "Yuki", "Olu",
)  # fmt: skip
_LAST_NAMES = (
    "Kim", "García", "Müller", "O'Brien", "Nguyen", "Smith", "Rossi", "Tanaka", "Dubois",
    "Silva", "Kowalski", "李", "Park", "Johansson", "Okafor", "Ivanova", "Haddad", "Lee",
)  # fmt: skip
_HANDLES = (
    "alex", "mina", "jose", "zoe", "lukasz", "ana", "chen", "priya", "liam", "sofia",
    "jaewon", "minjun", "sakura", "noah", "amelie", "bjorn", "fatima", "diego", "yuki",
)  # fmt: skip
_DOMAINS = ("gmail.com", "outlook.com", "proton.me", "naver.com", "yahoo.co.jp", "example.com")
_SESSIONS_PER_USER = _weighted((0, 10), (1, 25), (2, 30), (3, 20), (4, 15))  # mean 2.05
_GOOGLE_SCOPE = (
    "openid https://www.googleapis.com/auth/userinfo.email "
    "https://www.googleapis.com/auth/userinfo.profile"
)
_JWT_HEADER = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjFhMmIzYyIsInR5cCI6IkpXVCJ9"

# --- cuid-like ids: "c" + 8 chars time + 4 counter + 4 fingerprint + 8 random (base36) ---

_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_B36_PAIRS = tuple(a + b for a in _B36 for b in _B36)  # two digits per lookup: 2x fewer divmods


def _b36_4(n: int) -> str:
    hi, lo = divmod(n % 1_679_616, 1296)
    return _B36_PAIRS[hi] + _B36_PAIRS[lo]


def _b36_8(n: int) -> str:
    hi, lo = divmod(n % 2_821_109_907_456, 1_679_616)
    return _b36_4(hi) + _b36_4(lo)


def _dt(ms: int) -> datetime:
    """Naive UTC datetime with millisecond precision, as Prisma stores DateTime."""
    return _EPOCH + timedelta(milliseconds=ms)


class _DemoRows:
    """Row generators for each table; they share one seeded RNG, consumed in table order."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.users: list[tuple[str, str, str | None]] = []  # (id, email, passport country)
        self._counter = 0
        self._fingerprint = _b36_4(self.rng.getrandbits(21))

    def _pick(self, options: tuple[Any, ...]) -> Any:
        return options[int(self.rng.random() * len(options))]

    def _between(self, start_ms: int, end_ms: int) -> int:
        return start_ms + int(self.rng.random() * (end_ms - start_ms))

    def _token(self, length: int) -> str:
        raw = self.rng.randbytes(length * 3 // 4 + 3)
        return base64.urlsafe_b64encode(raw).decode()[:length]

    def cuid(self, ms: int) -> str:
        self._counter += 1
        random_part = _b36_8(self.rng.getrandbits(41))
        return "c" + _b36_8(ms) + _b36_4(self._counter) + self._fingerprint + random_part

    def user_rows(self, count: int) -> Iterator[Row]:
        for index in range(count):
            created = self._between(_USERS_SINCE_MS, _NOW_MS)
            user_id = self.cuid(created)
            # The index keeps emails unique, also under MySQL's case-insensitive collation.
            email = f"{self._pick(_HANDLES)}.{index}@{self._pick(_DOMAINS)}"
            self.users.append((user_id, email, self._pick(_PASSPORTS)))
            yield (user_id, self._name(), email, *self._user_details(created))

    def _name(self) -> str | None:
        if self.rng.random() < 0.1:
            return None
        return f"{self._pick(_FIRST_NAMES)} {self._pick(_LAST_NAMES)}"

    def _user_details(self, created: int) -> Row:
        rng = self.rng
        verified = _dt(created + int(rng.random() * 3_600_000)) if rng.random() < 0.6 else None
        image = None
        if rng.random() < 0.5:
            image = f"https://lh3.googleusercontent.com/a/{self._token(24)}=s96-c"
        updated = self._between(created, _NOW_MS)
        return (verified, image, _dt(created), _dt(updated))

    def account_rows(self) -> Iterator[Row]:
        rng = self.rng
        for index, (user_id, _, _) in enumerate(self.users):
            if rng.random() < 0.1:
                yield self._google_account(user_id, index)
                yield self._github_account(user_id, index)
            elif rng.random() < 0.7:
                yield self._google_account(user_id, index)
            else:
                yield self._github_account(user_id, index)

    def _google_account(self, user_id: str, index: int) -> Row:
        # The user's index makes providerAccountId unique without remembering past ones.
        subject = f"10{index:08d}{int(self.rng.random() * 1e11):011d}"
        expires_at = self._between(_NOW_MS - 30 * _DAY_MS, _NOW_MS + _DAY_MS) // 1000
        id_token = f"{_JWT_HEADER}.{self._token(420)}.{self._token(342)}"
        refresh, access = "1//0" + self._token(99), "ya29." + self._token(210)
        return (
            self.cuid(_NOW_MS), user_id, "oauth", "google", subject, refresh, access,
            expires_at, "Bearer", _GOOGLE_SCOPE, id_token, None,
        )  # fmt: skip

    def _github_account(self, user_id: str, index: int) -> Row:
        subject = str(1_000_000 + index)
        access = "gho_" + self._token(36)
        return (
            self.cuid(_NOW_MS), user_id, "oauth", "github", subject, None, access,
            None, "bearer", "read:user,user:email", None, None,
        )  # fmt: skip

    def session_rows(self) -> Iterator[Row]:
        for user_id, _, _ in self.users:
            for _ in range(self._pick(_SESSIONS_PER_USER)):
                token = str(uuid.UUID(bytes=self.rng.randbytes(16), version=4))
                # About half the sessions have already expired.
                expires = self._between(_NOW_MS - 30 * _DAY_MS, _NOW_MS + 30 * _DAY_MS)
                yield (self.cuid(_NOW_MS), token, user_id, _dt(expires))

    def verification_token_rows(self) -> Iterator[Row]:
        for index in range((len(self.users) + 49) // 50):
            if self.rng.random() < 0.7:
                identifier = self._pick(self.users)[1]
            else:
                identifier = f"invitee.{index}@example.org"
            expires = self._between(_NOW_MS - _DAY_MS, _NOW_MS + _DAY_MS)
            yield (identifier, self.rng.randbytes(32).hex(), _dt(expires))

    def visit_rows(self, count: int) -> Iterator[Row]:
        for start in range(0, count, BATCH_ROWS):
            yield from self._visit_chunk(min(BATCH_ROWS, count - start))

    def _visit_chunk(self, size: int) -> Iterator[Row]:
        """Column by column (`choices` picks a whole column in one call): the hot path."""
        choices, random_ = self.rng.choices, self.rng.random
        owners = choices(self.users, k=size)
        stays = [self._stay() for _ in range(size)]
        # Visits are logged up to a month ahead of the trip.
        created = [entry - int(random_() * 30 * _DAY_MS) for entry, _ in stays]
        for owner, (entry, exit_), made, country, (visa, max_days), note in zip(
            owners, stays, created,
            choices(_COUNTRIES, k=size), choices(_VISAS, k=size), choices(_NOTES, k=size),
            strict=True,
        ):  # fmt: skip
            entry_at = _dt(entry)
            exit_at = None if exit_ is None else _dt(exit_)
            yield (
                self.cuid(made), owner[0], country, entry_at, exit_at, visa, max_days, owner[2],
                note, _dt(made), exit_at or entry_at,
            )  # fmt: skip

    def _stay(self) -> tuple[int, int | None]:
        """(entry, exit) in ms; 5% are ongoing stays with no exit date yet."""
        random_ = self.rng.random
        if random_() < 0.05:
            return self._between(_NOW_MS - 60 * _DAY_MS, _NOW_MS), None
        entry = self._between(_VISITS_SINCE_MS, _NOW_MS - 2 * _DAY_MS)
        days = 1 + int(random_() ** 3 * 180)  # mostly short trips, a few long ones
        return entry, entry + days * _DAY_MS + int(random_() * _DAY_MS)


# --- writers: one batch of tuples (in table column order) into one table ---


def _quoted_columns(dialect: Dialect, table: sa.Table) -> tuple[str, str]:
    quote = dialect.identifier_preparer.quote
    return quote(table.name), ", ".join(quote(column.name) for column in table.columns)


def _bind_processors(dialect: Dialect, table: sa.Table) -> list[tuple[int, Callable[..., Any]]]:
    """SQLAlchemy's own value conversions (e.g. datetime -> text on SQLite), so reads match."""
    found = []
    for position, column in enumerate(table.columns):
        processor = column.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            found.append((position, processor))
    return found


def _processed(rows: list[Row], processors: list[tuple[int, Callable[..., Any]]]) -> list[Any]:
    if not processors:
        return rows
    out = []
    for row in rows:
        values = list(row)
        for position, processor in processors:
            values[position] = processor(values[position])
        out.append(values)
    return out


def _write_executemany(conn: Connection, marker: str, table: sa.Table, rows: list[Row]) -> None:
    name, columns = _quoted_columns(conn.dialect, table)
    markers = ", ".join([marker] * len(table.columns))
    sql = f"INSERT INTO {name} ({columns}) VALUES ({markers})"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, _processed(rows, _bind_processors(conn.dialect, table)))
    finally:
        cursor.close()


def _write_copy(conn: Connection, table: sa.Table, rows: list[Row]) -> None:
    name, columns = _quoted_columns(conn.dialect, table)
    with conn.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
        with cursor.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _write_core(conn: Connection, table: sa.Table, rows: list[Row]) -> None:
    keys = [column.key for column in table.columns]
    conn.execute(table.insert(), [dict(zip(keys, row, strict=True)) for row in rows])


def _writer(conn: Connection) -> Writer:
    dialect = conn.dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        return partial(_write_copy, conn)
    if dialect.name == "sqlite" and dialect.driver == "pysqlite":
        return partial(_write_executemany, conn, "?")
    if dialect.name in ("mysql", "mariadb") and dialect.driver in ("pymysql", "mysqldb"):
        return partial(_write_executemany, conn, "%s")
    return partial(_write_core, conn)


# --- the entry point ---


def _batches(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


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
    the running total of rows written (all tables) after each batch.
    """
    _check_counts(users, visits)
    dino.create_schema(engine)
    source = _DemoRows(seed)
    # Generators run lazily, in this order: users are all known before anything refers to them.
    plan = (
        (dino.user, source.user_rows(users)),
        (dino.account, source.account_rows()),
        (dino.session, source.session_rows()),
        (dino.verification_token, source.verification_token_rows()),
        (dino.country_visit, source.visit_rows(visits)),
    )
    counts = dict.fromkeys(dino.DINO_TABLES, 0)
    done = 0
    with engine.begin() as conn:
        write = _writer(conn)
        for table, rows in plan:
            for batch in _batches(rows, BATCH_ROWS):
                write(table, batch)
                counts[table.name] += len(batch)
                done += len(batch)
                if progress is not None:
                    progress(done)
    return counts
