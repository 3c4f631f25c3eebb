"""Streaming authenticated encryption of archives: round trips, random access, tampering, keys."""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dino_backup.archive import crypto
from dino_backup.archive.crypto import (
    HEADER_SIZE,
    TAG_SIZE,
    DecryptingReader,
    EncryptingWriter,
    generate_key,
    is_encrypted,
    key_fingerprint,
    load_key,
    parse_key,
)
from dino_backup.errors import IntegrityError, InvalidInput, WrongKey

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
SMALL = 64  # small chunk size: many chunks from little data
STRIDE = SMALL + TAG_SIZE


def encrypt_file(path: Path, data: bytes, key: bytes = KEY, chunk_size: int = SMALL) -> Path:
    with path.open("wb") as fh, EncryptingWriter(fh, key, chunk_size) as writer:
        writer.write(data)
    return path


def decrypt_file(path: Path, key: bytes = KEY) -> bytes:
    with path.open("rb") as fh, DecryptingReader(fh, key) as reader:
        return reader.read()


def chunk_offset(index: int) -> int:
    return HEADER_SIZE + index * STRIDE


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


# --- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "size", [0, 1, SMALL - 1, SMALL, SMALL + 1, 2 * SMALL - 1, 2 * SMALL, 2 * SMALL + 1, 1000]
)
def test_round_trip_around_chunk_boundaries(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    path = encrypt_file(tmp_path / "a.enc", data)
    # Full chunks, then a final chunk of size % SMALL bytes (empty for exact multiples).
    assert path.stat().st_size == HEADER_SIZE + (size // SMALL + 1) * TAG_SIZE + size
    with path.open("rb") as fh, DecryptingReader(fh, KEY) as reader:
        assert reader.size == size
        assert reader.read() == data
        assert reader.read() == b""


def test_empty_input_still_writes_an_authenticated_final_chunk(tmp_path: Path) -> None:
    path = encrypt_file(tmp_path / "empty.enc", b"")
    assert path.stat().st_size == HEADER_SIZE + TAG_SIZE
    assert decrypt_file(path) == b""


def test_large_payload_with_default_chunk_size(tmp_path: Path) -> None:
    data = os.urandom(20_000_000)
    path = tmp_path / "big.enc"
    with path.open("wb") as fh, EncryptingWriter(fh, KEY) as writer:
        # Uneven pieces exercise both the buffered and the zero-copy path.
        for start in range(0, len(data), 3_000_001):
            writer.write(data[start : start + 3_000_001])
        assert writer.tell() == len(data)
    assert decrypt_file(path) == data


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=600),
    chunk_size=st.integers(1, 100),
    cuts=st.lists(st.integers(0, 600), max_size=8),
)
def test_round_trip_any_write_pattern(data: bytes, chunk_size: int, cuts: list[int]) -> None:
    sink = io.BytesIO()
    writer = EncryptingWriter(sink, KEY, chunk_size)
    bounds = [0, *sorted(c for c in cuts if c <= len(data)), len(data)]
    for start, end in zip(bounds, bounds[1:], strict=False):
        writer.write(memoryview(data)[start:end])
    writer.close()
    sink.seek(0)
    assert DecryptingReader(sink, KEY).read() == data


def test_writer_leaves_raw_open_and_close_is_idempotent(tmp_path: Path) -> None:
    with (tmp_path / "a.enc").open("wb") as fh:
        writer = EncryptingWriter(fh, KEY, SMALL)
        writer.write(b"x" * 100)
        writer.close()
        writer.close()
        assert not fh.closed
        with pytest.raises(ValueError):
            writer.write(b"more")
    assert decrypt_file(tmp_path / "a.enc") == b"x" * 100


def test_exception_inside_with_block_leaves_an_invalid_archive(tmp_path: Path) -> None:
    path = tmp_path / "a.enc"
    with pytest.raises(RuntimeError), path.open("wb") as fh, EncryptingWriter(fh, KEY, SMALL) as w:
        w.write(b"y" * 200)
        raise RuntimeError("producer failed")
    with pytest.raises(IntegrityError):
        decrypt_file(path)


# --- random access ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    data = os.urandom(5000)
    return encrypt_file(tmp_path_factory.mktemp("enc") / "sample.enc", data), data


@settings(max_examples=200, deadline=None)
@given(offset=st.integers(0, 5100), length=st.integers(0, 700))
def test_random_access_read_equals_slice(
    sample: tuple[Path, bytes], offset: int, length: int
) -> None:
    path, data = sample
    with path.open("rb") as fh, DecryptingReader(fh, KEY) as reader:
        assert reader.seek(offset) == offset
        assert reader.read(length) == data[offset : offset + length]
        assert reader.tell() == min(offset + length, max(offset, len(data)))


@settings(max_examples=100, deadline=None)
@given(offset=st.integers(0, 5000), length=st.integers(0, 700))
def test_readinto_and_relative_seeks(sample: tuple[Path, bytes], offset: int, length: int) -> None:
    path, data = sample
    with path.open("rb") as fh, DecryptingReader(fh, KEY) as reader:
        reader.seek(-len(data), io.SEEK_END)
        reader.seek(offset, io.SEEK_CUR)
        buffer = bytearray(length)
        n = reader.readinto(buffer)
        assert bytes(buffer[:n]) == data[offset : offset + length]


def test_random_access_decrypts_only_the_chunks_it_needs(sample: tuple[Path, bytes]) -> None:
    path, data = sample
    blob = bytearray(path.read_bytes())
    blob[chunk_offset(0) + 5] ^= 1  # chunk 0 is corrupt, but a read elsewhere never touches it
    with DecryptingReader(io.BytesIO(bytes(blob)), KEY) as reader:
        reader.seek(10 * SMALL)
        assert reader.read(3 * SMALL) == data[10 * SMALL : 13 * SMALL]
        reader.seek(0)
        with pytest.raises(IntegrityError, match="chunk 0"):
            reader.read(1)


def test_negative_seek_is_refused(sample: tuple[Path, bytes]) -> None:
    path, _ = sample
    with path.open("rb") as fh, DecryptingReader(fh, KEY) as reader, pytest.raises(ValueError):
        reader.seek(-1)


def test_buffered_reader_on_top(sample: tuple[Path, bytes]) -> None:
    path, data = sample
    with path.open("rb") as fh:
        buffered = io.BufferedReader(DecryptingReader(fh, KEY), buffer_size=100)
        buffered.seek(1234)
        assert buffered.read(999) == data[1234:2233]


# --- tampering --------------------------------------------------------------------------------


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    # 10 chunks: 9 full ones and a 10-byte final one.
    return encrypt_file(tmp_path / "t.enc", os.urandom(9 * SMALL + 10))


LAST = 9


@pytest.mark.parametrize("offset", range(HEADER_SIZE))
def test_any_flipped_header_byte_is_detected(archive: Path, offset: int) -> None:
    flip_byte(archive, offset)
    with pytest.raises(IntegrityError):
        decrypt_file(archive)


@pytest.mark.parametrize("chunk", [0, 4, LAST])
@pytest.mark.parametrize("where", [0, 9, -1])  # first byte, in the data, in the tag
def test_flipped_byte_in_a_chunk_names_the_chunk(archive: Path, chunk: int, where: int) -> None:
    end = chunk_offset(chunk) + (STRIDE if chunk < LAST else 10 + TAG_SIZE)
    flip_byte(archive, chunk_offset(chunk) + where if where >= 0 else end + where)
    with pytest.raises(IntegrityError, match=f"authentication failed at chunk {chunk} "):
        decrypt_file(archive)


@pytest.mark.parametrize("chunk", [0, 4])
def test_authenticate_checks_every_chunk_not_only_those_read(archive: Path, chunk: int) -> None:
    with archive.open("rb") as fh:
        crypto.authenticate(fh, KEY)
    flip_byte(archive, chunk_offset(chunk) + 9)
    with archive.open("rb") as fh:
        DecryptingReader(fh, KEY)  # opening checks the final chunk only
        with pytest.raises(IntegrityError, match=f"authentication failed at chunk {chunk} "):
            crypto.authenticate(fh, KEY)


@pytest.mark.parametrize("chunks_kept", [0, 1, 5, LAST])
def test_truncation_at_a_chunk_boundary_is_detected_on_open(
    archive: Path, chunks_kept: int
) -> None:
    blob = archive.read_bytes()
    with pytest.raises(IntegrityError):
        DecryptingReader(io.BytesIO(blob[: chunk_offset(chunks_kept)]), KEY)


MID_CHUNK_CUTS = [
    (chunk, cut)
    for chunk in (0, 5, LAST)
    for cut in (1, 15, 16, 17, 40, STRIDE - 1)
    if chunk < LAST or cut < 10 + TAG_SIZE  # the final chunk is only 26 bytes long
]


@pytest.mark.parametrize(("chunk", "cut"), MID_CHUNK_CUTS)
def test_truncation_mid_chunk_is_detected_on_open(archive: Path, chunk: int, cut: int) -> None:
    blob = archive.read_bytes()
    with pytest.raises(IntegrityError):
        DecryptingReader(io.BytesIO(blob[: chunk_offset(chunk) + cut]), KEY)


@pytest.mark.parametrize("length", [0, 1, 8, HEADER_SIZE - 1])
def test_file_shorter_than_a_header(tmp_path: Path, length: int) -> None:
    path = tmp_path / "short.enc"
    path.write_bytes(crypto.MAGIC[:length] + bytes(max(0, length - len(crypto.MAGIC))))
    with pytest.raises(IntegrityError, match="too short"):
        decrypt_file(path)


def test_bad_magic_and_unknown_version(archive: Path) -> None:
    blob = bytearray(archive.read_bytes())
    with pytest.raises(IntegrityError, match="magic"):
        DecryptingReader(io.BytesIO(b"PK\x03\x04" + bytes(blob[4:])), KEY)
    blob[len(crypto.MAGIC)] = 2
    with pytest.raises(IntegrityError, match="version 2"):
        DecryptingReader(io.BytesIO(bytes(blob)), KEY)


@pytest.mark.parametrize(("a", "b"), [(0, 1), (3, 7), (7, 8)])
def test_swapped_chunks_are_detected(archive: Path, a: int, b: int) -> None:
    blob = bytearray(archive.read_bytes())
    chunk_a = blob[chunk_offset(a) : chunk_offset(a + 1)]
    blob[chunk_offset(a) : chunk_offset(a + 1)] = blob[chunk_offset(b) : chunk_offset(b + 1)]
    blob[chunk_offset(b) : chunk_offset(b + 1)] = chunk_a
    with pytest.raises(IntegrityError, match=f"chunk {a} "):
        DecryptingReader(io.BytesIO(bytes(blob)), KEY).read()


@pytest.mark.parametrize("copied", [0, 4, LAST])
def test_appended_copy_of_a_chunk_is_detected(archive: Path, copied: int) -> None:
    blob = archive.read_bytes()
    with pytest.raises(IntegrityError):
        DecryptingReader(
            io.BytesIO(blob + blob[chunk_offset(copied) : chunk_offset(copied + 1)]), KEY
        )


def test_last_chunk_must_carry_the_final_flag() -> None:
    # Forge a stream whose last chunk was sealed as non-final (as a stream cut short right
    # after a chunk would look if chunks could be short): private API, on purpose.
    sink = io.BytesIO()
    writer = EncryptingWriter(sink, KEY, SMALL)
    writer._emit(b"0123456789", final=False)
    writer.abort()
    with pytest.raises(IntegrityError, match="chunk 0"):
        DecryptingReader(sink, KEY)


def test_final_chunk_cannot_be_replaced_by_another_archives(tmp_path: Path) -> None:
    a = encrypt_file(tmp_path / "a.enc", b"a" * 100).read_bytes()
    b = encrypt_file(tmp_path / "b.enc", b"b" * 100).read_bytes()
    with pytest.raises(IntegrityError):
        DecryptingReader(io.BytesIO(a[: chunk_offset(1)] + b[chunk_offset(1) :]), KEY)


# --- keys -------------------------------------------------------------------------------------


def test_wrong_key_is_reported_as_such(archive: Path) -> None:
    with pytest.raises(WrongKey, match="wrong encryption key for this archive"):
        decrypt_file(archive, OTHER_KEY)


def test_each_file_gets_a_fresh_salt(tmp_path: Path) -> None:
    a = encrypt_file(tmp_path / "a.enc", b"same").read_bytes()
    b = encrypt_file(tmp_path / "b.enc", b"same").read_bytes()
    assert a[:13] == b[:13] and a[13:] != b[13:]


def test_key_never_appears_in_the_output(tmp_path: Path) -> None:
    text = generate_key()
    key = parse_key(text)
    blob = encrypt_file(tmp_path / "k.enc", key * 100 + text.encode() * 10, key=key).read_bytes()
    for form in (key, key[:8], text.encode(), key.hex().encode(), b"\x00" * 32):
        assert form not in blob


def test_generate_and_parse_key() -> None:
    text = generate_key()
    assert len(text) == 44 and generate_key() != text
    key = parse_key(text)
    assert len(key) == 32
    assert parse_key(f"  {text}\n") == key
    assert parse_key(key.hex()) == key
    assert parse_key(key.hex().upper() + "\n") == key


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "   ",
        "not-a-key",
        "c2VjcmV0LXNlY3JldA==",  # valid base64, wrong length
        base64.b64encode(b"k" * 31).decode(),
        base64.b64encode(b"k" * 33).decode(),
        base64.urlsafe_b64encode(b"\xfb" * 32).decode(),  # not the standard alphabet
        "z" * 64,
        "ab" * 31,
        "é" * 44,
        base64.b64encode(b"k" * 32).decode()[:-1] + "!",
    ],
)
def test_parse_key_rejects_garbage_without_echoing_it(garbage: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_key(garbage)
    message = str(info.value)
    assert "\n" not in message
    if garbage.strip():
        assert garbage.strip() not in message


def test_fingerprint_is_stable_distinct_and_does_not_leak_the_key() -> None:
    fingerprint = key_fingerprint(KEY)
    assert fingerprint == key_fingerprint(bytes(KEY))
    assert fingerprint.startswith("sha256:") and len(fingerprint) == len("sha256:") + 16
    assert fingerprint != key_fingerprint(OTHER_KEY)
    assert KEY.hex()[:16] not in fingerprint


def test_is_encrypted(archive: Path) -> None:
    assert is_encrypted(archive.read_bytes()[:8])
    assert not is_encrypted(b"\x28\xb5\x2f\xfd")  # zstd frame
    assert not is_encrypted(b"")


def test_load_key_from_text_or_file(tmp_path: Path) -> None:
    text = generate_key()
    assert load_key(None, None) is None
    assert load_key(text, None) == parse_key(text)
    key_file = tmp_path / "key"
    key_file.write_text(text + "\n")
    key_file.chmod(0o600)
    assert load_key(None, key_file) == parse_key(text)
    key_file.chmod(0o400)
    assert load_key(None, key_file) == parse_key(text)
    with pytest.raises(InvalidInput, match="not both"):
        load_key(text, key_file)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    text = generate_key()
    key_file = tmp_path / "key"
    key_file.write_text(text)
    key_file.chmod(mode)
    with pytest.raises(InvalidInput, match="chmod 600") as info:
        load_key(None, key_file)
    assert text not in str(info.value)


def test_missing_or_garbled_key_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot open key file"):
        load_key(None, tmp_path / "nope")
    key_file = tmp_path / "key"
    key_file.write_bytes(b"\xff" * 44)
    key_file.chmod(0o600)
    with pytest.raises(InvalidInput, match="base64"):
        load_key(None, key_file)


@pytest.mark.parametrize("key", [b"", b"k" * 31, b"k" * 33])
def test_keys_of_the_wrong_length_are_refused(key: bytes) -> None:
    with pytest.raises(InvalidInput):
        EncryptingWriter(io.BytesIO(), key)
    with pytest.raises(InvalidInput):
        key_fingerprint(key)


@pytest.mark.parametrize("chunk_size", [0, -1, crypto.MAX_CHUNK_SIZE + 1])
def test_bad_chunk_size_is_refused(chunk_size: int) -> None:
    with pytest.raises(InvalidInput):
        EncryptingWriter(io.BytesIO(), KEY, chunk_size)
