"""The seed's backup algorithm, transliterated to Python: the baseline we replace.

`extractDatabaseData` + `saveBackupData` from the seed (TypeScript, Prisma): every table
loaded into memory as a list of dicts, one `JSON.stringify(..., null, 2)` string, gzip at
zlib's default level 6, one write. Run as `python -m bench.seed_algorithm --url URL --out F`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import secrets
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

USER_FIELDS = ("id", "email", "name", "image", "createdAt", "updatedAt")


def _rows(conn: sa.Connection, query: sa.Select[Any]) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute(query).mappings()]


def _json_default(value: Any) -> Any:
    """JSON.stringify turns a Date into its ISO string."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def extract(engine: sa.Engine) -> dict[str, list[dict[str, Any]]]:
    """Users (selected fields), visits with their user's email, sessions, accounts."""
    meta = sa.MetaData()
    meta.reflect(engine, only=["User", "CountryVisit", "Session", "Account"])
    user, visit = meta.tables["User"], meta.tables["CountryVisit"]
    with engine.connect() as conn:
        data = {"users": _rows(conn, sa.select(*(user.c[f] for f in USER_FIELDS)))}
        visits = _rows(conn, sa.select(visit, user.c.email).join(user))
        data["countryVisits"] = [_nest_user(v) for v in visits]
        data["sessions"] = _rows(conn, sa.select(meta.tables["Session"]))
        data["accounts"] = _rows(conn, sa.select(meta.tables["Account"]))
    return data


def _nest_user(visit: dict[str, Any]) -> dict[str, Any]:
    """Prisma's `include: {user: {select: {email: true}}}` shape."""
    visit["user"] = {"email": visit.pop("email")}
    return visit


def metadata(data: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    return {
        "id": f"backup_{int(now.timestamp() * 1000)}_{secrets.token_hex(5)[:9]}",
        "timestamp": now.isoformat(),
        "version": "1.0",
        "tables": list(data),
        "recordCounts": {name: len(rows) for name, rows in data.items()},
        "size": 0,
        "checksum": "",
        "environment": "development",
    }


def backup(url: str, out: Path) -> int:
    """Write the seed's backup of `url` to `out`; return the number of records."""
    engine = sa.create_engine(url)
    try:
        data = extract(engine)
    finally:
        engine.dispose()
    text = json.dumps(
        {"data": data, "metadata": metadata(data)},
        indent=2,
        ensure_ascii=False,
        default=_json_default,
    )
    out.write_bytes(gzip.compress(text.encode(), compresslevel=6))
    return sum(len(rows) for rows in data.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of the DINO database")
    parser.add_argument("--out", required=True, type=Path, help="the .json.gz to write")
    args = parser.parse_args()
    started = time.perf_counter()
    records = backup(args.url, args.out)
    print(json.dumps({"records": records, "seconds": round(time.perf_counter() - started, 3)}))


if __name__ == "__main__":
    main()
