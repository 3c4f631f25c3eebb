"""Streaming, random-access authenticated encryption of backup archives.

File layout (all integers big endian)::

    header  = b"DINOENC1" | version (1) | chunk_size (4) | salt (16) | key_check (16)
    chunks  = AES-256-GCM(ciphertext + 16-byte tag) of chunk_size plaintext bytes each;
              the last chunk holds fewer than chunk_size bytes (possibly zero) and is
              always present, so "exact multiple" and "empty" archives end in an empty chunk.

Keys: a per-file key is HKDF-SHA256(master, salt, info=b"dino-backup archive v1"), so the
deterministic nonce (4 zero bytes + chunk index as 8 bytes) is never reused under one key.
key_check = HMAC-SHA256(file key, b"key-check")[:16] tells a wrong key apart from corruption.

Every chunk is authenticated with AAD = header + final flag (1 for the last chunk, else 0):
the header is bound to every chunk, the index (nonce) pins each chunk's position, and the
flag makes truncation at a chunk boundary and appended chunks detectable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import os
import secrets
import stat
import struct
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from dino_backup.errors import IntegrityError, InvalidInput, WrongKey

if TYPE_CHECKING:
    from typing_extensions import Buffer  # collections.abc.Buffer needs Python 3.12

MAGIC = b"DINOENC1"
VERSION = 1
KEY_SIZE = 32
SALT_SIZE = 16
CHECK_SIZE = 16
TAG_SIZE = 16
DEFAULT_CHUNK_SIZE = 1 << 20
# Upper bound for chunk_size, also applied to headers read from disk so a corrupted
# header cannot make the reader allocate gigabytes before anything is authenticated.
MAX_CHUNK_SIZE = 64 << 20

_HEADER = struct.Struct(f">{len(MAGIC)}sBI{SALT_SIZE}s{CHECK_SIZE}s")
HEADER_SIZE = _HEADER.size
_HKDF_INFO = b"dino-backup archive v1"
_KEY_CHECK_LABEL = b"key-check"
_FINGERPRINT_DOMAIN = b"dino-backup key fingerprint v1\x00"
_NONCE_PREFIX = b"\x00\x00\x00\x00"
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_KEY_FORMAT_MSG = "encryption key must be 32 bytes as base64 (44 characters) or hex (64 characters)"


class RawSource(Protocol):
    """What DecryptingReader needs from the ciphertext: a file or e.g. an S3 range reader."""

    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...
    def tell(self) -> int: ...


# --- keys -------------------------------------------------------------------------------------


def generate_key() -> str:
    """A new random master key in its text form (standard base64, 44 characters)."""
    return base64.b64encode(secrets.token_bytes(KEY_SIZE)).decode("ascii")


def parse_key(text: str) -> bytes:
    """Decode a master key from base64 (44 chars) or hex (64 chars); whitespace is ignored.

    Error messages never contain the input: it may be a (slightly mistyped) secret.
    """
    compact = "".join(text.split())
    if len(compact) == 2 * KEY_SIZE and set(compact) <= _HEX_DIGITS:
        return bytes.fromhex(compact)
    try:
        key = base64.b64decode(compact.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise InvalidInput(_KEY_FORMAT_MSG) from None
    if len(key) != KEY_SIZE:
        raise InvalidInput(_KEY_FORMAT_MSG)
    return key


def key_fingerprint(key: bytes) -> str:
    """A short, stable, non-reversible identifier of a master key (safe to log and store)."""
    _check_key(key)
    digest = hashlib.sha256(_FINGERPRINT_DOMAIN + bytes(key)).hexdigest()
    return "sha256:" + digest[:16]


def load_key(key_text: str | None, key_file: Path | None) -> bytes | None:
    """The master key from a literal (e.g. an env var) or a key file; None if neither is given."""
    if key_text is not None and key_file is not None:
        raise InvalidInput("give either an encryption key or a key file, not both")
    if key_file is not None:
        return parse_key(_read_key_file(Path(key_file)))
    if key_text is not None:
        return parse_key(key_text)
    return None


def _read_key_file(path: Path) -> str:
    # Open first and fstat the open descriptor, so the checked file is the one we read.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise InvalidInput(f"cannot open key file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise InvalidInput(f"key file {path} is not a regular file")
        if st.st_mode & 0o077:
            mode = stat.S_IMODE(st.st_mode)
            raise InvalidInput(
                f"key file {path} is accessible by group or others (mode {mode:#o}); "
                f"restrict it with: chmod 600 {path}"
            )
        data = fh.read(4096)
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        raise InvalidInput(f"key file {path}: {_KEY_FORMAT_MSG}") from None


def _check_key(key: bytes) -> None:
    if not isinstance(key, bytes | bytearray | memoryview) or len(key) != KEY_SIZE:
        raise InvalidInput("encryption key must be exactly 32 bytes")


def _file_key(master: bytes, salt: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=salt, info=_HKDF_INFO)
    return hkdf.derive(bytes(master))


def _key_check(file_key: bytes) -> bytes:
    return hmac.new(file_key, _KEY_CHECK_LABEL, hashlib.sha256).digest()[:CHECK_SIZE]


def _nonce(index: int) -> bytes:
    return _NONCE_PREFIX + index.to_bytes(8, "big")


def _check_chunk_size(chunk_size: int) -> None:
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise InvalidInput(f"chunk size must be between 1 and {MAX_CHUNK_SIZE} bytes")


def is_encrypted(head: bytes) -> bool:
    """Whether a file starting with `head` is an encrypted archive (checks the magic only)."""
    return bytes(head[: len(MAGIC)]) == MAGIC


# --- writing ----------------------------------------------------------------------------------


class EncryptingWriter:
    """Write-only stream that encrypts into `raw`, buffering at most one chunk.

    Only close() writes the final chunk, which is what makes the archive valid. Leaving a
    `with` block by an exception calls abort() instead, so a half-written archive can never
    pass as a complete one (deliberately not an io.IOBase: its __del__ would close()).
    """

    def __init__(self, raw: BinaryIO, key: bytes, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        _check_key(key)
        _check_chunk_size(chunk_size)
        self._raw = raw
        self._chunk_size = chunk_size
        salt = secrets.token_bytes(SALT_SIZE)
        file_key = _file_key(key, salt)
        self._aead = AESGCM(file_key)
        header = _HEADER.pack(MAGIC, VERSION, chunk_size, salt, _key_check(file_key))
        self._aad = (header + b"\x00", header + b"\x01")  # indexed by the final flag
        self._buffer = bytearray()
        self._index = 0
        self._written = 0
        self._closed = False
        _write_all(raw, header)

    @property
    def closed(self) -> bool:
        return self._closed

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        """Plaintext bytes written so far."""
        return self._written

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._closed:
            raise ValueError("write to a closed EncryptingWriter")
        view = memoryview(data).cast("B")
        size = len(view)
        if self._buffer:
            # Top up the pending partial chunk first.
            take = self._chunk_size - len(self._buffer)
            self._buffer += view[:take]
            view = view[take:]
            if len(self._buffer) < self._chunk_size:
                self._written += size
                return size
            self._emit(self._buffer, final=False)
            self._buffer = bytearray()
        # Whole chunks straight from the caller's buffer, without copying them.
        while len(view) >= self._chunk_size:
            self._emit(view[: self._chunk_size], final=False)
            view = view[self._chunk_size :]
        self._buffer += view
        self._written += size
        return size

    def flush(self) -> None:
        """Flush `raw`; a partial chunk stays buffered, since only close() may end the file."""
        flush = getattr(self._raw, "flush", None)
        if flush is not None:
            flush()

    def close(self) -> None:
        """Write the final chunk (idempotent). Does not close `raw`."""
        if self._closed:
            return
        self._emit(self._buffer, final=True)
        self._closed = True
        self._buffer = bytearray()
        self.flush()

    def abort(self) -> None:
        """Stop without writing the final chunk: readers will report the file as truncated."""
        self._closed = True
        self._buffer = bytearray()

    def __enter__(self) -> EncryptingWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _emit(self, plaintext: bytes | bytearray | memoryview, *, final: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self._index), plaintext, self._aad[final])
        _write_all(self._raw, sealed)
        self._index += 1


def _write_all(raw: BinaryIO, data: bytes) -> None:
    n = raw.write(data)
    if n is None or n >= len(data):  # some streams return None after taking everything
        return
    # Raw (unbuffered) files may accept fewer bytes than offered.
    view = memoryview(data)[n:]
    while view:
        view = view[raw.write(view) :]


# --- reading ----------------------------------------------------------------------------------


class DecryptingReader(io.RawIOBase):
    """Seekable, read-only plaintext view of an encrypted archive.

    Opening reads the header, verifies the key and authenticates the final chunk (so any
    truncation or extension is reported at once); later reads decrypt only the chunks they
    touch, caching the current one. Does not close `raw`. Not thread-safe.
    """

    def __init__(self, raw: RawSource, key: bytes) -> None:
        super().__init__()
        _check_key(key)
        self._raw = raw
        self._pos = 0
        self._cached_index = -1
        self._cached = b""
        header = _read_exact(raw, 0, HEADER_SIZE)
        self._chunk_size, salt, check = _parse_header(header)
        file_key = _file_key(key, salt)
        if not hmac.compare_digest(_key_check(file_key), check):
            raise WrongKey("wrong encryption key for this archive")
        self._aead = AESGCM(file_key)
        self._aad = (header + b"\x00", header + b"\x01")  # indexed by the final flag
        raw.seek(0, io.SEEK_END)
        self._layout(raw.tell() - HEADER_SIZE)
        self._chunk(self._last)  # authenticates the header and the final flag up front

    @property
    def size(self) -> int:
        """Plaintext length in bytes."""
        return self._size

    @property
    def chunk_size(self) -> int:
        return self._chunk_size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        self._checkClosed()
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._checkClosed()
        bases = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}
        if whence not in bases:
            raise ValueError(f"invalid whence ({whence})")
        pos = bases[whence] + offset
        if pos < 0:
            raise ValueError(f"negative seek position {pos}")
        self._pos = pos
        return pos

    def readinto(self, buffer: Buffer) -> int:
        """Fill `buffer` as far as the plaintext goes (short only at end of file)."""
        self._checkClosed()
        out = memoryview(buffer).cast("B")
        done = 0
        while done < len(out) and self._pos < self._size:
            index, offset = divmod(self._pos, self._chunk_size)
            piece = memoryview(self._chunk(index))[offset : offset + len(out) - done]
            out[done : done + len(piece)] = piece
            done += len(piece)
            self._pos += len(piece)
        return done

    def read(self, size: int | None = -1) -> bytes:
        self._checkClosed()
        remaining = max(self._size - self._pos, 0)
        size = remaining if size is None or size < 0 else min(size, remaining)
        pieces: list[bytes] = []
        while size > 0:
            # Slicing a whole chunk returns the chunk itself, so aligned reads copy once (join).
            index, offset = divmod(self._pos, self._chunk_size)
            piece = self._chunk(index)[offset : offset + size]
            pieces.append(piece)
            self._pos += len(piece)
            size -= len(piece)
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def readall(self) -> bytes:
        return self.read(-1)

    def close(self) -> None:
        self._cached = b""
        super().close()

    def authenticate_all(self) -> None:
        """Decrypt every chunk (each one's tag checked) without keeping any."""
        for index in range(self._last + 1):
            self._decrypt(index)

    def _layout(self, body: int) -> None:
        # Every chunk before the last is full; the last holds 0..chunk_size-1 bytes + tag.
        stride = self._chunk_size + TAG_SIZE
        full, rest = divmod(body, stride)
        if rest < TAG_SIZE:
            raise IntegrityError("encrypted archive is truncated (final chunk missing)")
        self._last = full
        self._size = full * self._chunk_size + rest - TAG_SIZE

    def _chunk(self, index: int) -> bytes:
        if index != self._cached_index:
            self._cached = self._decrypt(index)
            self._cached_index = index
        return self._cached

    def _decrypt(self, index: int) -> bytes:
        stride = self._chunk_size + TAG_SIZE
        length = stride if index < self._last else self._size - index * self._chunk_size + TAG_SIZE
        sealed = _read_exact(self._raw, HEADER_SIZE + index * stride, length)
        try:
            return self._aead.decrypt(_nonce(index), sealed, self._aad[index == self._last])
        except InvalidTag:  # also what a short read (file shrinking under us) ends in
            raise IntegrityError(
                f"archive authentication failed at chunk {index} (corrupted or tampered)"
            ) from None


def authenticate(raw: RawSource, key: bytes) -> None:
    """Every chunk of an encrypted archive decrypts with `key` (IntegrityError or WrongKey
    otherwise)."""
    DecryptingReader(raw, key).authenticate_all()


def _parse_header(header: bytes) -> tuple[int, bytes, bytes]:
    """(chunk_size, salt, key_check) of a header; only structure is checked here."""
    if len(header) < HEADER_SIZE:
        raise IntegrityError("not an encrypted archive: file too short for a header")
    magic, version, chunk_size, salt, check = _HEADER.unpack(header)
    if magic != MAGIC:
        raise IntegrityError("not an encrypted archive: bad magic bytes")
    if version != VERSION:
        raise IntegrityError(f"unsupported encrypted archive version {version}")
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise IntegrityError(f"encrypted archive header is corrupted (chunk size {chunk_size})")
    return chunk_size, salt, check


def _read_exact(raw: RawSource, offset: int, length: int) -> bytes:
    """Up to `length` bytes at `offset`; short only at end of file."""
    raw.seek(offset)
    first = raw.read(length)
    if len(first) == length or not first:
        return first
    parts = [first]
    got = len(first)
    while got < length:
        part = raw.read(length - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)
