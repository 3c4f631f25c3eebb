"""Backup archive format: value encoding, compression, sections, manifest and encryption."""
