"""Reading an archive holds a bounded amount of it, however well a table compressed."""

import io
import tracemalloc

import pytest

from dino_backup.archive.compression import get_codec
from dino_backup.archive.reader import ArchiveReader
from dino_backup.archive.values import encode_row
from dino_backup.archive.writer import ArchiveWriter

ROWS = 400_000
ROW = ("the same long value " * 12, 42, None)  # ~270 bytes a line, compresses ~1000x
LIMIT = 24 * 1024 * 1024  # the table decompresses to ~110 MB


def compressible_archive(codec_name: str) -> tuple[io.BytesIO, int]:
    out = io.BytesIO()
    codec = get_codec(codec_name)
    with ArchiveWriter(out, codec, {"id": "x", "created": "now", "compression": codec.name}) as w:
        section = w.table("t", ["a", "b", "c"])
        line = encode_row(ROW)
        for _ in range(ROWS // 10_000):
            section.write_lines([line] * 10_000)
        entry = section.close()
        w.finish({"tables": [{"name": "t", **entry, "schema": {}}]})
    return out, len(out.getvalue())


@pytest.mark.parametrize("codec_name", ["zstd", "gzip"])
def test_reading_a_highly_compressed_table_stays_bounded(codec_name: str) -> None:
    archive, size = compressible_archive(codec_name)
    reader = ArchiveReader(archive, size)
    tracemalloc.start()
    try:
        rows = sum(1 for _ in reader.iter_lines("t"))
        assert reader.verify() == {"t": ROWS}
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert rows == ROWS
    assert peak < LIMIT, f"peak {peak / 2**20:.0f} MiB"

