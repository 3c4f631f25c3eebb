"""Streaming a stored archive file to the client, in bounded chunks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from fastapi.responses import StreamingResponse

from ..core.manager import BackupManager
from ..errors import IntegrityError, NotFound

CHUNK = 1 << 20


def _chunks(f: BinaryIO) -> Iterator[bytes]:
    try:
        while block := f.read(CHUNK):
            yield block
    finally:
        f.close()


def archive_stream(manager: BackupManager, backup_id: str) -> StreamingResponse:
    meta = manager.get_backup(backup_id)["backup"]
    storage = manager.ctx.storage
    try:
        size = storage.size(meta["file"])
        f = storage.open_read(meta["file"])
    except NotFound:
        raise IntegrityError(f"archive file of {backup_id} is missing") from None
    name = re.sub(r"[^A-Za-z0-9._-]", "_", meta["file"].rsplit("/", 1)[-1])
    headers = {
        "Content-Length": str(size),
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Checksum-SHA256": str(meta.get("checksum", "")),
        "Cache-Control": "no-store",
    }
    return StreamingResponse(_chunks(f), media_type="application/octet-stream", headers=headers)
