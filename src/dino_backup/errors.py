"""The one exception hierarchy of the engine.

The CLI and the API each map these to an exit code / HTTP status in one place
(`cli/errors.py`, `api/errors.py`); nothing else catches them by type.
"""


class BackupError(Exception):
    """Base class: every error the engine raises on purpose."""


class NotFound(BackupError):
    """A backup (or table) that does not exist."""


class InvalidInput(BackupError):
    """Malformed IDs, unknown options, bad table names."""


class IntegrityError(BackupError):
    """Checksums, authentication tags or structure do not match."""


class WrongKey(IntegrityError):
    """The archive is encrypted with another key (or no key was given)."""


class IncompatibleSchema(BackupError):
    """The backup cannot be restored into the database's current schema."""


class RestoreConflict(BackupError):
    """The backup's rows collide with the database's under the chosen conflict strategy."""


class Busy(BackupError):
    """Another backup or restore is running."""


class StorageFull(BackupError):
    """Not enough free space for the archive."""


class DatabaseUnreachable(BackupError):
    """The database cannot be connected to or read."""
