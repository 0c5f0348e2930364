"""Admin counterparts of the API's permission rule: the same `user.has_perm` checks.

`@admin.action(permissions=["sync"])` makes Django call `has_sync_permission(request)`;
`permission_check("servers.sync_provideraccount")` builds that method, so every admin action
names the same permission its API endpoint needs (tests/access walks every admin action).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest


def permission_check(permission: str) -> Callable[..., bool]:
    def has_permission(self: Any, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(permission)

    has_permission.__doc__ = f"Whether the user holds {permission}."
    return has_permission
