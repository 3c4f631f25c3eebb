"""Where archive bytes live: a small interface with local-disk (and later S3) behind it."""

from .base import Storage
from .local import LocalStorage

__all__ = ["LocalStorage", "Storage"]
