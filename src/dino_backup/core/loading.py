"""Moving one table's rows from an archive into a database table (staging or target).

Rows the same engine wrote as COPY text, loaded into the same columns without conversion,
go back through COPY untouched; all others are decoded, converted to the target's column
types (convert.py) and bound by the driver.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..archive.pgcopy import ENCODING
from ..archive.reader import ArchiveReader
from ..dialects.base import Dialect
from .context import ProgressFn
from .schema_match import TableMatch


class RowLoader:
    def __init__(self, dialect: Dialect, reader: ArchiveReader, progress: ProgressFn) -> None:
        self.dialect = dialect
        self.reader = reader
        self.progress = progress

    def load(self, conn: sa.Connection, m: TableMatch, into: str) -> int:
        """Load the backup's rows of `m` into table `into`; returns how many."""
        total = int(self.reader.tables[m.name]["rows"])
        self.progress(m.name, 0, total)
        if self._copies_unchanged(m):
            blocks = self.reader.iter_blocks(m.name, lambda n: self.progress(m.name, n, total))
            self.dialect.copy_in(conn, into, m.columns, blocks)
            return total
        done = 0
        for batch in self.reader.iter_batches(m.name):
            rows = [self._convert(row, m) for row in batch]
            self.dialect.insert_rows(conn, into, m.columns, rows)
            done += len(rows)
            self.progress(m.name, done, total)
        return done

    def _copies_unchanged(self, m: TableMatch) -> bool:
        """COPY text from this engine, every column loaded as it was: no need to decode."""
        same_engine = self.reader.manifest.get("sourceDialect") == self.dialect.name
        if not same_engine or self.reader.encoding(m.name) != ENCODING:
            return False
        width = len(self.reader.table_entry(m.name)["schema"]["columns"])
        identity = m.source_indexes == list(range(width))
        return identity and all(c is None for c in m.converters)

    def _convert(self, row: list[Any], m: TableMatch) -> list[Any]:
        out = [row[i] for i in m.source_indexes]
        for i, convert in enumerate(m.converters):
            if convert is not None:
                out[i] = convert(out[i])
        return self.dialect.adapt_row(out)
