"""Who is calling: the caller's personal API token, checked as the API checks it, and their request rate.

The token rules are the API's own (apps/access/authentication.py): `Token <value>` or
`Bearer <value>`, a knox digest look-up, expired and revoked tokens refused, an inactive user
refused. The request rate is the API's per-user rate (API_THROTTLE_USER_RATE) on the same
cache counters, so MCP requests and API requests of one user count together.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest
from rest_framework.exceptions import AuthenticationFailed

from apps.access.authentication import ApiTokenAuthentication
from apps.access.throttles import ApiUserRateThrottle

NO_CREDENTIALS = (
    "Authentication credentials were not provided: send a personal API token (Authorization: Token <value>)."
)


class NotAuthenticated(Exception):
    """No token, or one that is wrong, expired, revoked or belongs to an inactive user. Its
    message says which kind of problem it was, never the token."""


def user_for_authorization(header: str | None) -> AbstractBaseUser:
    """The user whose token the Authorization header carries; raises NotAuthenticated."""
    request = HttpRequest()
    if header:
        request.META["HTTP_AUTHORIZATION"] = header
    try:
        authenticated = ApiTokenAuthentication().authenticate(request)
    except AuthenticationFailed as error:
        raise NotAuthenticated(str(error.detail)) from None
    if authenticated is None:  # no header, or one for another scheme
        raise NotAuthenticated(NO_CREDENTIALS)
    return authenticated[0]


def user_for_token(token: str) -> AbstractBaseUser:
    """The user of a token value (stdio: from the environment); raises NotAuthenticated."""
    return user_for_authorization(f"Token {token.strip()}" if token and token.strip() else None)


def throttle_wait(user: AbstractBaseUser) -> float | None:
    """None while `user` is within the API's request rate; else the seconds to wait. Counts this request."""
    throttle = ApiUserRateThrottle()
    if throttle.allow_request(SimpleNamespace(user=user), None):
        return None
    return throttle.wait() or 1.0
