"""Who is calling the sandbox GitHub: the configured token, an installation token it issued, or
a GitHub App's JWT (only for POST /app/installations/{id}/access_tokens).

The App's JWT is read, not verified: the sandbox checks that it is a JWT, that its `iss` is the
sandbox App's id (the SANDBOX_GITHUB_APP_ID setting) and that it has not
expired, but NOT its RS256 signature (the sandbox does not know the App's public key).
Installation tokens are stateless: `ghs_<installation>_<expiry>_<HMAC>` keyed with SECRET_KEY.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import UTC, datetime

import jwt
from django.conf import settings
from django.http import HttpRequest

INSTALLATION_TOKEN_SECONDS = 3600
TOKEN_PREFIX = "ghs_"  # noqa: S105 (a prefix, not a secret)


def app_id() -> str:
    return str(settings.SANDBOX_GITHUB_APP_ID)


def presented_credential(request: HttpRequest) -> str:
    """The credential of an `Authorization: token <x>` or `Bearer <x>` header ("" when none)."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() not in ("token", "bearer"):
        return ""
    return value.strip()


def _signature(payload: str) -> str:
    key = hashlib.sha256(f"sandbox-github:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()[:40]


def installation_token_issue(installation_id: int, *, now: float | None = None) -> tuple[str, datetime]:
    expires = int(now if now is not None else time.time()) + INSTALLATION_TOKEN_SECONDS
    payload = f"{installation_id}_{expires}"
    return f"{TOKEN_PREFIX}{payload}_{_signature(payload)}", datetime.fromtimestamp(expires, UTC)


def _installation_token_valid(token: str) -> bool:
    if not token.startswith(TOKEN_PREFIX):
        return False
    installation, _, rest = token.removeprefix(TOKEN_PREFIX).partition("_")
    expires, _, signature = rest.partition("_")
    if not (installation.isdigit() and expires.isdigit() and signature):
        return False
    if not hmac.compare_digest(signature.encode(), _signature(f"{installation}_{expires}").encode()):
        return False
    return int(expires) > time.time()


def token_valid(credential: str) -> bool:
    """The configured SANDBOX_GITHUB_TOKEN (constant-time comparison) or a live installation token."""
    if not credential:
        return False
    if hmac.compare_digest(credential.encode(), settings.SANDBOX_GITHUB_TOKEN.encode()):
        return True
    return _installation_token_valid(credential)


def app_jwt_valid(credential: str) -> bool:
    """A JWT with `iss` = the sandbox App's id and `exp` in the future. The signature is NOT checked."""
    try:
        claims = jwt.decode(credential, options={"verify_signature": False})
    except jwt.PyJWTError:
        return False
    expires = claims.get("exp")
    if not isinstance(expires, int | float) or expires <= time.time():
        return False
    return hmac.compare_digest(str(claims.get("iss", "")).encode(), app_id().encode())
