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

import base64
import itertools
import random
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from operator import itemgetter
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect, Engine

from .errors import InvalidInput
from .schema import dino

Row = tuple[Any, ...]
Writer = Callable[[sa.Table, list[Row]], None]
Progress = Callable[[int], None]

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


# --- timestamps: made as ms since the epoch, then given to each writer in its own form ---

Timestamp = Callable[[int], Any]


def _dt(ms: int) -> datetime:
    """Naive UTC datetime with millisecond precision, as Prisma stores DateTime."""
    return _EPOCH + timedelta(milliseconds=ms)


_HH_MM = tuple(f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60))
_SS = tuple(f"{s:02d}." for s in range(60))
_FFF000 = tuple(f"{f:03d}000" for f in range(1000))


def _timestamp_text() -> Timestamp:
    """A function ms -> 'YYYY-MM-DD HH:MM:SS.ffffff', the text SQLAlchemy stores on SQLite.

    MySQL and PostgreSQL read the same text. Built from lookup tables because a
    datetime object per value costs more than the rest of the row.
    """
    days: dict[int, str] = {}  # one entry per calendar day seen: a few thousand

    def text(ms: int) -> str:
        day, in_day = divmod(ms, _DAY_MS)
        date_part = days.get(day)
        if date_part is None:
            date_part = days[day] = f"{(_EPOCH + timedelta(days=day)).date()} "
        minute, millis = divmod(in_day, 60_000)
        second, millis = divmod(millis, 1000)
        return date_part + _HH_MM[minute] + _SS[second] + _FFF000[millis]

    return text


# --- rows ---


class _User(NamedTuple):
    id: str
    email: str
    passport: str | None
    created_ms: int
    activity: int  # relative share of the visits


class _DemoRows:
    """Row generators for each table; they share one seeded RNG, consumed in table order.

    Every table's rows come user by user, in the users' (ascending) id order, and the
    ids' time part is the owner's sign-up time, so each table's ids ascend as well.
    Rows are tuples in the table's column order, timestamps made by `timestamp`.
    """

    def __init__(self, seed: int, timestamp: Timestamp = _dt) -> None:
        self.rng = random.Random(seed)
        self.timestamp = timestamp
        self.users: list[_User] = []
        self._counter = 0
        self._fingerprint = _b36_4(self.rng.getrandbits(21))

    def _pick(self, options: Sequence[Any]) -> Any:
        return options[int(self.rng.random() * len(options))]

    def _between(self, start_ms: int, end_ms: int) -> int:
        return start_ms + int(self.rng.random() * (end_ms - start_ms))

    def _token(self, length: int) -> str:
        raw = self.rng.randbytes(length * 3 // 4 + 3)
        return base64.urlsafe_b64encode(raw).decode()[:length]

    def cuids(self, ms: int, count: int) -> list[str]:
        """`count` ids stamped `ms`; the running counter keeps them unique and ascending."""
        head, tail = "c" + _b36_8(ms), self._fingerprint
        first, bits = self._counter + 1, self.rng.getrandbits
        self._counter += count
        return [head + _b36_4(n) + tail + _b36_8(bits(41)) for n in range(first, first + count)]

    # --- User ---

    def user_rows(self, count: int) -> Iterator[Row]:
        span = _NOW_MS - _USERS_SINCE_MS
        for index in range(count):
            # Evenly spread, jittered sign-up times: ascending, so the ids ascend too.
            created = _USERS_SINCE_MS + int((index + self.rng.random()) * span / count)
            user = self._new_user(index, created)
            self.users.append(user)
            yield (user.id, self._name(), user.email, *self._user_details(created))

    def _new_user(self, index: int, created: int) -> _User:
        # The index keeps emails unique, also under MySQL's case-insensitive collation.
        email = f"{self._pick(_HANDLES)}.{index}@{self._pick(_DOMAINS)}"
        # One user in ten never logs a trip; a few log very many.
        activity = 0 if self.rng.random() < 0.1 else 1 + int(self.rng.random() ** 2 * 1000)
        user_id = self.cuids(created, 1)[0]
        return _User(user_id, email, self._pick(_PASSPORTS), created, activity)

    def _name(self) -> str | None:
        if self.rng.random() < 0.1:
            return None
        return f"{self._pick(_FIRST_NAMES)} {self._pick(_LAST_NAMES)}"

    def _user_details(self, created: int) -> Row:
        rng, ts = self.rng, self.timestamp
        verified = ts(created + int(rng.random() * 3_600_000)) if rng.random() < 0.6 else None
        image = None
        if rng.random() < 0.5:
            image = f"https://lh3.googleusercontent.com/a/{self._token(24)}=s96-c"
        updated = self._between(created, _NOW_MS)
        return (verified, image, ts(created), ts(updated))

    # --- Account, Session, VerificationToken ---

    def account_rows(self) -> Iterator[Row]:
        rng = self.rng
        for index, user in enumerate(self.users):
            if rng.random() < 0.1:
                yield self._google_account(user, index)
                yield self._github_account(user, index)
            elif rng.random() < 0.7:
                yield self._google_account(user, index)
            else:
                yield self._github_account(user, index)

    def _google_account(self, user: _User, index: int) -> Row:
        # The user's index makes providerAccountId unique without remembering past ones.
        subject = f"10{index:08d}{int(self.rng.random() * 1e11):011d}"
        expires_at = self._between(_NOW_MS - 30 * _DAY_MS, _NOW_MS + _DAY_MS) // 1000
        id_token = f"{_JWT_HEADER}.{self._token(420)}.{self._token(342)}"
        refresh, access = "1//0" + self._token(99), "ya29." + self._token(210)
        return (
            self.cuids(user.created_ms, 1)[0], user.id, "oauth", "google", subject, refresh,
            access, expires_at, "Bearer", _GOOGLE_SCOPE, id_token, None,
        )  # fmt: skip

    def _github_account(self, user: _User, index: int) -> Row:
        subject = str(1_000_000 + index)
        access = "gho_" + self._token(36)
        return (
            self.cuids(user.created_ms, 1)[0], user.id, "oauth", "github", subject, None,
            access, None, "bearer", "read:user,user:email", None, None,
        )  # fmt: skip

    def session_rows(self) -> Iterator[Row]:
        for user in self.users:
            for session_id in self.cuids(user.created_ms, self._pick(_SESSIONS_PER_USER)):
                token = str(uuid.UUID(bytes=self.rng.randbytes(16), version=4))
                # About half the sessions have already expired.
                expires = self._between(_NOW_MS - 30 * _DAY_MS, _NOW_MS + 30 * _DAY_MS)
                yield (session_id, token, user.id, self.timestamp(expires))

    def verification_token_rows(self) -> Iterator[Row]:
        for index in range((len(self.users) + 49) // 50):
            if self.rng.random() < 0.7:
                identifier = self._pick(self.users).email
            else:
                identifier = f"invitee.{index}@example.org"
            expires = self._between(_NOW_MS - _DAY_MS, _NOW_MS + _DAY_MS)
            yield (identifier, self.rng.randbytes(32).hex(), self.timestamp(expires))

    # --- CountryVisit: the hot path ---

    def visit_rows(self, total: int) -> Iterator[Row]:
        """Exactly `total` visits, shared out by the users' activity, user by user."""
        shares = [user.activity for user in self.users]
        if not any(shares):
            shares = [1] * len(shares)
        whole, running, done = sum(shares), 0, 0
        for user, share in zip(self.users, shares, strict=True):
            running += share
            upto = total * running // whole  # exact integer split: the counts add up to total
            yield from self._user_visits(user, upto - done)
            done = upto

    def _user_visits(self, user: _User, count: int) -> Iterator[Row]:
        choices, ts = self.rng.choices, self.timestamp
        stays = sorted((self._stay() for _ in range(count)), key=itemgetter(0))
        for visit_id, (entry, exit_), country, (visa, max_days), note in zip(
            self.cuids(user.created_ms, count), stays,
            choices(_COUNTRIES, k=count), choices(_VISAS, k=count), choices(_NOTES, k=count),
            strict=True,
        ):  # fmt: skip
            logged = self._logged_at(user, entry)
            entry_at, created_at = ts(entry), ts(logged)
            exit_at = None if exit_ is None else ts(exit_)
            updated_at = created_at if logged > (exit_ or entry) else exit_at or entry_at
            yield (
                visit_id, user.id, country, entry_at, exit_at, visa, max_days, user.passport,
                note, created_at, updated_at,
            )  # fmt: skip

    def _stay(self) -> tuple[int, int | None]:
        """(entry, exit) in ms; 5% are ongoing stays with no exit date yet."""
        random_ = self.rng.random
        if random_() < 0.05:
            return self._between(_NOW_MS - 60 * _DAY_MS, _NOW_MS), None
        entry = self._between(_VISITS_SINCE_MS, _NOW_MS - 2 * _DAY_MS)
        days = 1 + int(random_() ** 3 * 180)  # mostly short trips, a few long ones
        return entry, entry + days * _DAY_MS + int(random_() * _DAY_MS)

    def _logged_at(self, user: _User, entry: int) -> int:
        """Trips are logged up to a month ahead, or (past ones) soon after signing up."""
        planned = entry - int(self.rng.random() * 30 * _DAY_MS)
        if planned >= user.created_ms:
            return planned
        return user.created_ms + int(self.rng.random() * 7 * _DAY_MS)


# --- loaders: a writer for one batch of rows, and the timestamp form it takes ---


class _Loader(NamedTuple):
    write: Writer
    timestamp: Timestamp
    # Generate in a worker thread while this thread waits on the server. Not for sqlite3:
    # it drops the GIL around every row, so the threads would only trade it back and forth.
    prefetch: bool


def _quoted_columns(dialect: Dialect, table: sa.Table) -> tuple[str, str]:
    quote = dialect.identifier_preparer.quote
    return quote(table.name), ", ".join(quote(column.name) for column in table.columns)


def _driver(conn: Connection) -> Any:
    """The DBAPI connection under `conn`, inside the same transaction."""
    driver = conn.connection.driver_connection
    assert driver is not None  # only None once the connection is closed
    return driver


def _write_sqlite(conn: Connection, table: sa.Table, rows: list[Row]) -> None:
    name, columns = _quoted_columns(conn.dialect, table)
    markers = ", ".join("?" * len(table.columns))
    cursor = _driver(conn).cursor()
    try:
        cursor.executemany(f"INSERT INTO {name} ({columns}) VALUES ({markers})", rows)
    finally:
        cursor.close()


def _write_copy(conn: Connection, table: sa.Table, rows: list[Row]) -> None:
    name, columns = _quoted_columns(conn.dialect, table)
    with _driver(conn).cursor() as cursor:
        with cursor.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


# PyMySQL's own executemany limit; far below any server's max_allowed_packet.
_MYSQL_STATEMENT_BYTES = 1_000_000


def _mysql_rows(rows: list[Row]) -> Iterator[str]:
    """Each row as `(v1,v2,...)`; the rows hold only text, integers and NULLs.

    Text goes as a hex literal with a charset introducer: nothing needs escaping, whatever
    the server's quoting mode (NO_BACKSLASH_ESCAPES), and it is several times faster than
    escaping in Python. MySQL converts it like any quoted string, also into DATETIME.
    """
    for row in rows:
        values = [
            "NULL" if v is None else f"_utf8mb4 X'{v.encode().hex()}'" if v.__class__ is str
            else str(int(v))
            for v in row
        ]  # fmt: skip
        yield "(" + ",".join(values) + ")"


def _write_pymysql(conn: Connection, table: sa.Table, rows: list[Row]) -> None:
    """Multi-row INSERTs built here: PyMySQL's per-value escaping costs more than the server."""
    name, columns = _quoted_columns(conn.dialect, table)
    prefix = f"INSERT INTO {name} ({columns}) VALUES "
    with _driver(conn).cursor() as cursor:
        pending: list[str] = []
        size = 0
        for values in _mysql_rows(rows):
            pending.append(values)
            size += len(values)
            if size > _MYSQL_STATEMENT_BYTES:
                cursor.execute(prefix + ",".join(pending))
                pending, size = [], 0
        if pending:
            cursor.execute(prefix + ",".join(pending))


def _write_core(conn: Connection, table: sa.Table, rows: list[Row]) -> None:
    keys = [column.key for column in table.columns]
    conn.execute(table.insert(), [dict(zip(keys, row, strict=True)) for row in rows])


def _loader(conn: Connection) -> _Loader:
    dialect = conn.dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        return _Loader(partial(_write_copy, conn), _timestamp_text(), prefetch=True)
    if dialect.name == "sqlite" and dialect.driver == "pysqlite":
        return _Loader(partial(_write_sqlite, conn), _timestamp_text(), prefetch=False)
    if dialect.name in ("mysql", "mariadb") and dialect.driver == "pymysql":
        return _Loader(partial(_write_pymysql, conn), _timestamp_text(), prefetch=True)
    return _Loader(partial(_write_core, conn), _dt, prefetch=False)


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


def _plan(source: _DemoRows, users: int, visits: int) -> list[tuple[sa.Table, Iterator[Row]]]:
    # Generators run lazily, in this order: users are all known before anything refers to them.
    return [
        (dino.user, source.user_rows(users)),
        (dino.account, source.account_rows()),
        (dino.session, source.session_rows()),
        (dino.verification_token, source.verification_token_rows()),
        (dino.country_visit, source.visit_rows(visits)),
    ]


def _load(
    loader: _Loader, plan: list[tuple[sa.Table, Iterator[Row]]], progress: Progress | None
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
        loader = _loader(conn)
        plan = _plan(_DemoRows(seed, loader.timestamp), users, visits)
        return _load(loader, plan, progress)
