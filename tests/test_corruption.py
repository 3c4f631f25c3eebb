"""A damaged backup is never verified and never restored, and the database stays untouched.

For each kind of archive (zstd, gzip, none, encrypted) the damage is: a flipped byte in
every region of the file, truncation, appended bytes, a wrong or missing key, a missing or
altered checksum file, missing or altered metadata, a missing archive. Each is tried twice:
as is (the sidecar checksum already disagrees) and with the sidecars rewritten to match the
damaged file, as if it had been damaged before it was checksummed; then the archive's own
checks (section SHA-256s, manifest hash, exact trailer, AES-GCM tags) must catch it.
"""

from __future__ import annotations

import hashlib
import io
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from failure_support import db_contents, make_manager, mutate_dino, seed_dino

from dino_backup.archive import crypto
from dino_backup.archive.reader import open_archive
from dino_backup.core.catalog import checksum_name, meta_name
from dino_backup.core.create import BackupCreator
from dino_backup.core.manager import BackupManager
from dino_backup.core.options import BackupOptions, RestoreOptions
from dino_backup.errors import BackupError, IntegrityError, NotFound, WrongKey

VARIANTS = ("zstd", "gzip", "none", "encrypted")
KEY = crypto.generate_key()
OTHER_KEY = crypto.generate_key()
CHUNK = 512  # small encrypted chunks, so a small archive has a first, middle and last one
PLAIN_REGIONS = ["header", *(f"table{i}" for i in range(5)), "manifest", "trailer"]
ENC_REGIONS = ["chunk-first", "chunk-middle", "chunk-last"]
ENC_HEADER_BYTES = {"magic": 0, "version": 8, "chunk-size": 11, "salt": 20, "key-check": 40}
WHERE = ("first", "middle", "last")


@dataclass
class Original:
    folder: Path
    backup_id: str
    file: str
    key: str | None
    regions: dict[str, tuple[int, int]] = field(default_factory=dict)


def _regions(data: bytes, key: bytes | None) -> dict[str, tuple[int, int]]:
    if key is not None:
        stride = CHUNK + crypto.TAG_SIZE
        last = (len(data) - crypto.HEADER_SIZE - crypto.TAG_SIZE) // stride
        assert last >= 2, "the encrypted archive needs three chunks"

        def chunk(i: int) -> tuple[int, int]:
            start = crypto.HEADER_SIZE + i * stride
            return start, min(start + stride, len(data))

        return {
            "chunk-first": chunk(0),
            "chunk-middle": chunk(last // 2),
            "chunk-last": chunk(last),
        }
    reader = open_archive(io.BytesIO(data), len(data), None)
    regions = {"header": (0, reader.manifest["header_length"])}
    for i, entry in enumerate(reader.manifest["tables"]):
        regions[f"table{i}"] = (entry["offset"], entry["offset"] + entry["length"])
    trailer = len(data) - reader.codec.trailer_size
    regions["manifest"] = (reader.manifest_offset, trailer)
    regions["trailer"] = (trailer, len(data))
    return regions


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Original]]:
    """One SQLite database and one backup of each kind, copied afresh for every test."""
    saved = BackupCreator.chunk_size
    BackupCreator.chunk_size = CHUNK
    made = {}
    try:
        for variant in VARIANTS:
            folder = tmp_path_factory.mktemp(variant)
            url = f"sqlite:///{folder / 'dino.db'}"
            seed_dino(url, users=12, visits=40)
            key = KEY if variant == "encrypted" else None
            mgr = make_manager(url, folder / "backups", key)
            codec = "zstd" if variant == "encrypted" else variant
            opts = BackupOptions(include_sessions=True, compression=codec, encrypt=key is not None)
            meta = mgr.create_backup(opts)["metadata"]
            mgr.ctx.engine.dispose()
            mutate_dino(url)
            data = (folder / "backups" / meta["file"]).read_bytes()
            raw_key = crypto.parse_key(key) if key else None
            made[variant] = Original(folder, meta["id"], meta["file"], key, _regions(data, raw_key))
        yield made
    finally:
        BackupCreator.chunk_size = saved


@dataclass
class Case:
    url: str
    backups: Path
    backup_id: str
    archive: Path
    mgr: BackupManager
    before: dict[str, list[tuple[Any, ...]]]

    def manager(self, key: str | None) -> BackupManager:
        return make_manager(self.url, self.backups, key)

    def meta(self) -> dict[str, Any]:
        return dict(orjson.loads((self.backups / meta_name(self.backup_id)).read_bytes()))

    def save_meta(self, meta: dict[str, Any]) -> None:
        (self.backups / meta_name(self.backup_id)).write_bytes(orjson.dumps(meta))

    def reseal(self) -> None:
        """Rewrite checksum file and metadata to agree with the archive as it now is."""
        digest = hashlib.sha256(self.archive.read_bytes()).hexdigest()
        (self.backups / checksum_name(self.backup_id)).write_text(
            f"{digest}  {self.archive.name}\n"
        )
        meta = self.meta()
        meta.update(checksum=digest, size=self.archive.stat().st_size)
        self.save_meta(meta)


def _case(original: Original, tmp_path: Path) -> Case:
    shutil.copytree(original.folder, tmp_path, dirs_exist_ok=True)
    url = f"sqlite:///{tmp_path / 'dino.db'}"
    backups = tmp_path / "backups"
    return Case(
        url,
        backups,
        original.backup_id,
        backups / original.file,
        make_manager(url, backups, original.key),
        db_contents(url),
    )


def assert_refused(
    case: Case, expected: type[BackupError], mgr: BackupManager | None = None
) -> None:
    """verify and restore both fail with `expected` (exactly), and the database is untouched."""
    mgr = mgr or case.mgr
    with pytest.raises(BackupError) as verified:
        mgr.verify_backup(case.backup_id)
    assert type(verified.value) is expected, verified.value
    assert "\n" not in str(verified.value)
    with pytest.raises(BackupError) as restored:
        mgr.restore_from_backup(RestoreOptions(case.backup_id))
    assert type(restored.value) is expected, restored.value
    mgr.ctx.engine.dispose()
    assert db_contents(case.url) == case.before


def _flip(path: Path, position: int) -> None:
    data = bytearray(path.read_bytes())
    data[position] ^= 0x01
    path.write_bytes(bytes(data))


def _position(region: tuple[int, int], where: str) -> int:
    start, end = region
    return {"first": start, "middle": (start + end) // 2, "last": end - 1}[where]


def _both_ways(case: Case, damage: Callable[[], None], expected: type[BackupError]) -> None:
    damage()
    assert_refused(case, expected)
    case.reseal()
    assert_refused(case, expected)


# -- a flipped byte in every region ---------------------------------------------------------


def test_untouched_backups_verify_and_restore(
    originals: dict[str, Original], tmp_path: Path
) -> None:
    """The baseline: every kind of backup is valid, and a restore really changes the database."""
    for variant, original in originals.items():
        case = _case(original, tmp_path / variant)
        assert case.mgr.verify_backup(case.backup_id)["valid"] is True
        case.mgr.restore_from_backup(RestoreOptions(case.backup_id))
        case.mgr.ctx.engine.dispose()
        assert db_contents(case.url) != case.before


@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("region", PLAIN_REGIONS)
@pytest.mark.parametrize("variant", ["zstd", "gzip", "none"])
def test_flipped_byte_in_plain_archive(
    originals: dict[str, Original], tmp_path: Path, variant: str, region: str, where: str
) -> None:
    original = originals[variant]
    case = _case(original, tmp_path)
    position = _position(original.regions[region], where)
    _both_ways(case, lambda: _flip(case.archive, position), IntegrityError)


@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("region", ENC_REGIONS)
def test_flipped_byte_in_encrypted_chunk(
    originals: dict[str, Original], tmp_path: Path, region: str, where: str
) -> None:
    original = originals["encrypted"]
    case = _case(original, tmp_path)
    position = _position(original.regions[region], where)
    _both_ways(case, lambda: _flip(case.archive, position), IntegrityError)


@pytest.mark.parametrize("field_name", sorted(ENC_HEADER_BYTES))
def test_flipped_byte_in_encryption_header(
    originals: dict[str, Original], tmp_path: Path, field_name: str
) -> None:
    """The key is right (its fingerprint matches): a damaged header is damage, not a wrong key."""
    case = _case(originals["encrypted"], tmp_path)
    _both_ways(case, lambda: _flip(case.archive, ENC_HEADER_BYTES[field_name]), IntegrityError)


# -- truncated, extended ----------------------------------------------------------------------


@pytest.mark.parametrize("cut", ["empty", "one-byte", "half", "minus-one", "no-trailer"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_truncated_archive(
    originals: dict[str, Original], tmp_path: Path, variant: str, cut: str
) -> None:
    case = _case(originals[variant], tmp_path)
    size = case.archive.stat().st_size
    keep = {
        "empty": 0,
        "one-byte": 1,
        "half": size // 2,
        "minus-one": size - 1,
        "no-trailer": size - 32,
    }[cut]

    def damage() -> None:
        with case.archive.open("r+b") as f:
            f.truncate(keep)

    _both_ways(case, damage, IntegrityError)


@pytest.mark.parametrize(
    "extra", [b"\n", b"\x00" * 17, b"trailer"], ids=["newline", "zeros", "copy"]
)
@pytest.mark.parametrize("variant", VARIANTS)
def test_appended_bytes(
    originals: dict[str, Original], tmp_path: Path, variant: str, extra: bytes
) -> None:
    case = _case(originals[variant], tmp_path)
    data = case.archive.read_bytes()
    tail = data[-65:] if extra == b"trailer" else extra  # a second copy of the trailer
    _both_ways(case, lambda: case.archive.write_bytes(data + tail), IntegrityError)


# -- keys -------------------------------------------------------------------------------------


def test_wrong_key(originals: dict[str, Original], tmp_path: Path) -> None:
    case = _case(originals["encrypted"], tmp_path)
    assert_refused(case, WrongKey, case.manager(OTHER_KEY))


def test_wrong_key_without_fingerprint(originals: dict[str, Original], tmp_path: Path) -> None:
    """The archive itself tells a wrong key apart from damage (its key check)."""
    case = _case(originals["encrypted"], tmp_path)
    meta = case.meta()
    meta["keyFingerprint"] = None
    case.save_meta(meta)
    assert_refused(case, WrongKey, case.manager(OTHER_KEY))


def test_no_key(originals: dict[str, Original], tmp_path: Path) -> None:
    case = _case(originals["encrypted"], tmp_path)
    assert_refused(case, WrongKey, case.manager(None))


def test_wrong_key_on_a_lone_archive(originals: dict[str, Original]) -> None:
    original = originals["encrypted"]
    data = (original.folder / "backups" / original.file).read_bytes()
    with pytest.raises(WrongKey):
        open_archive(io.BytesIO(data), len(data), crypto.parse_key(OTHER_KEY))
    with pytest.raises(WrongKey):
        open_archive(io.BytesIO(data), len(data), None)


# -- sidecars -----------------------------------------------------------------------------------


def _set_meta(case: Case, **changes: Any) -> Callable[[], None]:
    def damage() -> None:
        meta = case.meta()
        meta.update(changes)
        case.save_meta(meta)

    return damage


def _drop_meta_field(case: Case, name: str) -> Callable[[], None]:
    def damage() -> None:
        meta = case.meta()
        del meta[name]
        case.save_meta(meta)

    return damage


SIDECAR_DAMAGE: dict[str, tuple[Callable[[Case], Callable[[], None]], type[BackupError]]] = {
    "checksum-missing": (lambda c: (c.backups / checksum_name(c.backup_id)).unlink, IntegrityError),
    "checksum-altered": (
        lambda c: (
            lambda: (c.backups / checksum_name(c.backup_id)).write_text(
                "0" * 64 + f"  {c.archive.name}\n"
            )
        ),
        IntegrityError,
    ),
    "checksum-garbage": (
        lambda c: lambda: (c.backups / checksum_name(c.backup_id)).write_bytes(b"\xff\x00 x"),
        IntegrityError,
    ),
    "metadata-missing": (lambda c: (c.backups / meta_name(c.backup_id)).unlink, NotFound),
    "metadata-not-json": (
        lambda c: lambda: (c.backups / meta_name(c.backup_id)).write_bytes(b'{"id": '),
        IntegrityError,
    ),
    "metadata-other-id": (
        lambda c: _set_meta(c, id="backup_0000000000000_000000000"),
        IntegrityError,
    ),
    "metadata-counts": (lambda c: _set_meta(c, recordCounts={"User": 1}), IntegrityError),
    "metadata-table-sums": (
        lambda c: _set_meta(c, tableChecksums={"User": "0" * 64}),
        IntegrityError,
    ),
    "metadata-bad-timestamp": (lambda c: _set_meta(c, timestamp="yesterday"), IntegrityError),
    "metadata-checksum": (lambda c: _set_meta(c, checksum="f" * 64), IntegrityError),
    "metadata-file-escapes": (lambda c: _set_meta(c, file="../../etc/passwd"), IntegrityError),
    "metadata-file-other": (
        lambda c: _set_meta(c, file=c.backup_id + ".jsonl.old"),
        IntegrityError,
    ),
    "metadata-no-file": (lambda c: _drop_meta_field(c, "file"), IntegrityError),
    "metadata-no-counts": (lambda c: _drop_meta_field(c, "recordCounts"), IntegrityError),
    "metadata-encrypted-flag": (
        lambda c: lambda: _set_meta(c, encrypted=not c.meta()["encrypted"])(),
        IntegrityError,
    ),
    "archive-missing": (lambda c: c.archive.unlink, IntegrityError),
}


@pytest.mark.parametrize("damage", sorted(SIDECAR_DAMAGE))
@pytest.mark.parametrize("variant", VARIANTS)
def test_damaged_sidecars(
    originals: dict[str, Original], tmp_path: Path, variant: str, damage: str
) -> None:
    case = _case(originals[variant], tmp_path)
    make_damage, expected = SIDECAR_DAMAGE[damage]
    make_damage(case)()
    assert_refused(case, expected)


def test_damaged_metadata_does_not_get_the_archive_cleaned_up(
    originals: dict[str, Original], tmp_path: Path
) -> None:
    """An unreadable metadata file unlists a backup, but its archive is not an orphan."""
    case = _case(originals["zstd"], tmp_path)
    for damage in (b"not json", b'{"id": "%s", "timestamp": "soon"}' % case.backup_id.encode()):
        (case.backups / meta_name(case.backup_id)).write_bytes(damage)
        case.mgr.cleanup_old_backups()
        assert case.archive.exists()
        assert (case.backups / checksum_name(case.backup_id)).exists()
        assert case.backup_id in case.mgr.ctx.catalog.scan()[1]  # unusable, not gone


# -- every byte of a small archive ------------------------------------------------------------


def _content(data: bytes, key: bytes | None) -> tuple[Any, ...]:
    """What a restore reads: header bytes, manifest and every table's lines."""
    reader = open_archive(io.BytesIO(data), len(data), key)
    counts = reader.verify()
    header = reader._section_data(0, reader.manifest["header_length"])
    tables = {name: list(reader.iter_lines(name)) for name in reader.tables}
    return header, reader.manifest, counts, tables


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_flipped_byte_is_caught_or_harmless(
    tmp_path: Path, variant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a lone archive (no sidecars), any flipped byte either fails verification or changes
    nothing that a restore reads (e.g. a gzip member's modification time)."""
    monkeypatch.setattr(BackupCreator, "chunk_size", 256)
    url = f"sqlite:///{tmp_path / 'dino.db'}"
    seed_dino(url, users=3, visits=6)
    key = KEY if variant == "encrypted" else None
    mgr = make_manager(url, tmp_path / "backups", key)
    codec = "zstd" if variant == "encrypted" else variant
    meta = mgr.create_backup(BackupOptions(compression=codec, encrypt=key is not None))["metadata"]
    data = (tmp_path / "backups" / meta["file"]).read_bytes()
    raw_key = crypto.parse_key(key) if key else None
    expected = _content(data, raw_key)
    harmless = []
    for position in range(len(data)):
        damaged = bytearray(data)
        damaged[position] ^= 0x10
        try:
            found = _content(bytes(damaged), raw_key)
        except IntegrityError:
            continue
        assert found == expected, f"byte {position} changed content undetected"
        harmless.append(position)
    assert len(harmless) < len(data) // 10, harmless


# -- the servers ------------------------------------------------------------------------------


@pytest.mark.parametrize("db_url", ["postgresql", "mysql"], indirect=True)
def test_damaged_backup_is_refused_on_servers(db_url: str, tmp_path: Path) -> None:
    seed_dino(db_url, users=10, visits=30)
    backups = tmp_path / "backups"
    mgr = make_manager(db_url, backups)
    meta = mgr.create_backup(BackupOptions(include_sessions=True))["metadata"]
    mgr.ctx.engine.dispose()
    mutate_dino(db_url)
    archive = backups / meta["file"]
    regions = _regions(archive.read_bytes(), None)
    case = Case(db_url, backups, meta["id"], archive, mgr, db_contents(db_url))
    _both_ways(case, lambda: _flip(archive, _position(regions["table1"], "middle")), IntegrityError)
