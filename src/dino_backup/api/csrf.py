"""Signed double-submit CSRF tokens, bound to the session they were issued for.

Token = `<nonce>.<HMAC-SHA256(secret, nonce | SHA-256(session token))>`. A mutating request
signed in by cookie must carry the token both in the cookie and in `X-CSRF-Token`; the two
must be equal and the signature must match the current session. Bearer requests carry no
ambient credentials and are exempt.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request, Response

from .errors import CsrfRejected

CSRF_COOKIE = "dino-backup.csrf-token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_MAX_LENGTH = 200


class CsrfSigner:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _signature(self, nonce: str, session_token: str) -> str:
        bound = hashlib.sha256(session_token.encode()).hexdigest()
        message = f"{nonce}|{bound}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def issue(self, session_token: str) -> str:
        nonce = secrets.token_urlsafe(18)
        return f"{nonce}.{self._signature(nonce, session_token)}"

    def valid(self, token: str, session_token: str) -> bool:
        nonce, dot, signature = token.partition(".")
        if not dot or not nonce or len(token) > _MAX_LENGTH:
            return False
        expected = self._signature(nonce, session_token)
        return hmac.compare_digest(signature.encode(), expected.encode())

    def check(self, request: Request, session_token: str) -> None:
        """Raise CsrfRejected unless header and cookie agree and are signed for this session."""
        header = request.headers.get(CSRF_HEADER, "")
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if not header or not cookie:
            raise CsrfRejected("CSRF token missing: GET /api/csrf, then send it in X-CSRF-Token")
        same = hmac.compare_digest(header.encode(), cookie.encode())
        if not same or not self.valid(header, session_token):
            raise CsrfRejected("CSRF token invalid")

    @staticmethod
    def set_cookie(response: Response, token: str, secure: bool) -> None:
        response.set_cookie(
            CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/"
        )
