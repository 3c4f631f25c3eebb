"""A backup is listed only when what was written matches the snapshot it was read from."""

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from failure_support import files_in, listed, make_manager, seed_dino

from dino_backup.errors import IntegrityError


@pytest.mark.parametrize("path", ["json_lines", "stream_rows"])
def test_a_row_lost_between_database_and_archive_fails_the_backup(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """Whether SQLite encodes the rows (json_lines) or Python does (stream_rows)."""
    seed_dino(sqlite_url)
    mgr = make_manager(sqlite_url, tmp_path / "b")
    dialect = mgr.ctx.dialect
    real_rows, real_lines = dialect.stream_rows, dialect.json_lines

    def losing_first_row(*args: Any) -> Iterator[Sequence[Sequence[Any]]]:
        batches = real_rows(*args)
        first = next(batches, [])
        yield list(first)[1:]
        yield from batches

    def losing_first_line(*args: Any) -> Iterator[bytes] | None:
        blocks = real_lines(*args)
        assert blocks is not None
        first = next(blocks, b"")
        return iter([first.partition(b"\n")[2], *blocks])

    if path == "json_lines":
        monkeypatch.setattr(dialect, "json_lines", losing_first_line)
    else:
        monkeypatch.setattr(dialect, "json_lines", lambda *args: None)
        monkeypatch.setattr(dialect, "stream_rows", losing_first_row)
    with pytest.raises(IntegrityError, match="snapshot holds"):
        mgr.create_backup()
    assert listed(tmp_path / "b") == []
    assert not [f for f in files_in(tmp_path / "b") if "backup_" in f]
