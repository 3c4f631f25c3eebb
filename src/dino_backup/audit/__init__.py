"""Tamper-evident audit log: hash-chained JSON lines under BACKUP_DIR/audit/."""

from .chain import ChainBreak, ChainReport, verify_lines
from .log import AuditLog, audit_log_for
from .redact import fingerprint, mask_email

__all__ = [
    "AuditLog",
    "ChainBreak",
    "ChainReport",
    "audit_log_for",
    "fingerprint",
    "mask_email",
    "verify_lines",
]
