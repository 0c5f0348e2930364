"""API authentication by personal token: `Authorization: Token <value>` or `Bearer <value>`.

Requests are limited here, while authenticating, because DRF checks permissions before
throttles: a request that authentication or permissions refuse would never be counted, so
anonymous floods and token guessing would go unlimited. Wrong tokens are counted per address
(AuthFailureThrottle) and anonymous requests per address (AnonymousRateLimit, the last class).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from apps.access import services
from apps.access.models import ApiToken
from apps.access.throttles import ApiAnonRateThrottle, AuthFailureThrottle

# "Token" is what existing clients send; "Bearer" is what most HTTP tooling sends.
KEYWORDS = (b"token", b"bearer")


def _throttled(throttle: Any) -> exceptions.Throttled:
    return exceptions.Throttled(wait=throttle.wait())


class ApiTokenAuthentication(TokenAuthentication):
    def authenticate(self, request: Any) -> tuple[Any, ApiToken] | None:
        auth = get_authorization_header(request).split()
        if not auth or auth[0].lower() not in KEYWORDS:
            return None  # no header, or one meant for another scheme
        failures = AuthFailureThrottle()
        if failures.exhausted(request):
            raise _throttled(failures)
        try:
            user, token = self._credentials(auth)
        except exceptions.AuthenticationFailed:
            failures.record_failure(request)
            raise
        services.token_mark_used(token=token)
        return user, token

    def _credentials(self, auth: list[bytes]) -> tuple[Any, ApiToken]:
        if len(auth) == 1:
            raise exceptions.AuthenticationFailed(_("Invalid token header. No credentials provided."))
        if len(auth) > 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header. Token string should not contain spaces."))
        try:
            auth[1].decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        return self.authenticate_credentials(auth[1])

    def _cleanup_token(self, auth_token: ApiToken) -> bool:
        # knox deletes every expired token of the user on each request (a query per request);
        # here an expired token is only refused, as if it did not exist. The services delete
        # a user's expired tokens when the user gets a new one.
        return auth_token.expiry is not None and auth_token.expiry <= timezone.now()


class AnonymousRateLimit(BaseAuthentication):
    """Listed last: reached only by requests no other class authenticated, which it counts per address."""

    def authenticate(self, request: Any) -> None:
        throttle = ApiAnonRateThrottle()
        if not throttle.allow_request(request, None):
            raise _throttled(throttle)
        return None


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema (and Swagger UI's Authorize button) describes the token."""

    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'A personal API token, sent as "Token <value>" or "Bearer <value>".',
        }
