"""DINO Backup: consistent, compressed, encrypted, verified database backups."""

__version__ = "0.1.0"
