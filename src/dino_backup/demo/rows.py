"""Deterministic DINO demo rows, made in key order (see the package docstring)."""

from __future__ import annotations

import base64
import random
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any, NamedTuple

Row = tuple[Any, ...]

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
NOTES = _weighted(
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


def datetime_from_ms(ms: int) -> datetime:
    """Naive UTC datetime with millisecond precision, as Prisma stores DateTime."""
    return _EPOCH + timedelta(milliseconds=ms)


_HH_MM = tuple(f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60))
_SS = tuple(f"{s:02d}." for s in range(60))
_FFF000 = tuple(f"{f:03d}000" for f in range(1000))


def timestamp_text() -> Timestamp:
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


class DemoRows:
    """Row generators for each table; they share one seeded RNG, consumed in table order.

    Every table's rows come user by user, in the users' (ascending) id order, and the
    ids' time part is the owner's sign-up time, so each table's ids ascend as well.
    Rows are tuples in the table's column order, timestamps made by `timestamp`.
    """

    def __init__(self, seed: int, timestamp: Timestamp = datetime_from_ms) -> None:
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
            choices(_COUNTRIES, k=count), choices(_VISAS, k=count), choices(NOTES, k=count),
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


