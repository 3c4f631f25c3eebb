"""What may appear in logs: masked emails and short fingerprints, never tokens or full emails."""

from __future__ import annotations

import hashlib


def mask_email(email: str | None) -> str | None:
    """'alice@example.com' -> 'a***e@example.com' (enough to recognise, not to harvest)."""
    if not email:
        return email
    local, at, domain = email.partition("@")
    if len(local) <= 2:
        shown = local[:1] + "***"
    else:
        shown = f"{local[0]}***{local[-1]}"
    return f"{shown}{at}{domain}" if at else shown


def fingerprint(secret: str) -> str:
    """A short, stable, one-way tag for a token: lets log entries be correlated safely."""
    return "sha256:" + hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:12]
