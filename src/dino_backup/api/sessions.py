"""The DINO app's own sign-in: NextAuth database sessions in the "Session" and "User" tables.

Values are read raw (no type processing) because a DINO database on SQLite may hold
`expires` as epoch milliseconds (Prisma's driver) or as text (SQLAlchemy, other tools).
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import NullType

from ..errors import DatabaseUnreachable, InvalidInput, NotFound
from ..schema import dino

MAX_TOKEN_LENGTH = 512


@dataclass(frozen=True)
class Principal:
    user_id: str
    email: str | None
    via: str  # "cookie" | "bearer"
    token: str

    def __repr__(self) -> str:  # never print the token
        return f"Principal(user_id={self.user_id!r}, via={self.via!r})"


@dataclass(frozen=True)
class SessionRow:
    user_id: str
    email: str | None
    expires: dt.datetime | None


def parse_expiry(value: Any) -> dt.datetime | None:
    """A stored DateTime as an aware UTC datetime; None when it cannot be read."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value / 1000, dt.UTC)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return parse_expiry(int(text))
        try:
            return parse_expiry(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
        except ValueError:
            return None
    return None


def plausible_token(token: str) -> bool:
    return 0 < len(token) <= MAX_TOKEN_LENGTH and token.isprintable() and token.isascii()


def _raw(column: sa.Column[Any]) -> Any:
    return sa.type_coerce(column, NullType()).label(column.name)


class SessionStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def lookup(self, token: str) -> SessionRow | None:
        """The session's user and expiry, or None when the token is unknown."""
        if not plausible_token(token):
            return None
        s, u = dino.session, dino.user
        query = (
            sa.select(_raw(s.c.sessionToken), s.c.userId, u.c.email, _raw(s.c.expires))
            .select_from(s.join(u, u.c.id == s.c.userId))
            .where(s.c.sessionToken == token)
        )
        try:
            with self.engine.connect() as conn:
                row = conn.execute(query).first()
        except sa.exc.SQLAlchemyError as exc:
            raise DatabaseUnreachable(f"cannot read sessions: {type(exc).__name__}") from None
        # The database found it by index (maybe case-insensitively, as MySQL's collation
        # compares); confirm it exactly, in constant time.
        if row is None or not hmac.compare_digest(str(row.sessionToken).encode(), token.encode()):
            return None
        return SessionRow(row.userId, row.email, parse_expiry(row.expires))

    def create(self, email: str, lifetime: dt.timedelta) -> tuple[str, str]:
        """A new session for the existing user with this email: (token, user id)."""
        user_id = self._user_id(email)
        token = secrets.token_urlsafe(32)
        expires = dt.datetime.now(dt.UTC).replace(tzinfo=None) + lifetime
        row = {"id": "c" + secrets.token_hex(12), "sessionToken": token, "userId": user_id,
               "expires": expires.replace(microsecond=expires.microsecond // 1000 * 1000)}
        with self.engine.begin() as conn:
            conn.execute(sa.insert(dino.session).values(**row))
        return token, user_id

    def _user_id(self, email: str) -> str:
        wanted = email.strip().lower()
        if not wanted or "@" not in wanted:
            raise InvalidInput("give the email address of an existing user")
        query = sa.select(dino.user.c.id).where(sa.func.lower(dino.user.c.email) == wanted)
        with self.engine.connect() as conn:
            ids = conn.execute(query.limit(2)).scalars().all()
        if not ids:
            raise NotFound("no user with that email in the DINO database")
        if len(ids) > 1:
            raise InvalidInput("several users have that email (differing only in case)")
        return str(ids[0])

    def ensure_user(self, email: str, name: str) -> str:
        """The id of the user with this email, created when absent (for the demo admin)."""
        try:
            return self._user_id(email)
        except NotFound:
            pass
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        user_id = "c" + secrets.token_hex(12)
        row = {"id": user_id, "name": name, "email": email, "createdAt": now, "updatedAt": now}
        with self.engine.begin() as conn:
            conn.execute(sa.insert(dino.user).values(**row))
        return user_id
