"""A backup is listed only when what was written matches the snapshot it was read from."""

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from failure_support import files_in, listed, make_manager, seed_dino

from dino_backup.errors import IntegrityError


def test_a_row_lost_between_database_and_archive_fails_the_backup(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_dino(sqlite_url)
    mgr = make_manager(sqlite_url, tmp_path / "b")
    real = mgr.ctx.dialect.stream_rows

    def losing_first_row(*args: Any) -> Iterator[Sequence[Sequence[Any]]]:
        batches = real(*args)
        first = next(batches, [])
        yield list(first)[1:]
        yield from batches

    monkeypatch.setattr(mgr.ctx.dialect, "stream_rows", losing_first_row)
    with pytest.raises(IntegrityError, match="snapshot holds"):
        mgr.create_backup()
    assert listed(tmp_path / "b") == []
    assert not [f for f in files_in(tmp_path / "b") if "backup_" in f]
