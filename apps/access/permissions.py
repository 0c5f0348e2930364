"""The API's one permission rule: every view names the permission each of its actions needs.

Resolution, first match wins:
1. `permissions_by_action[view.action]` on a viewset (its extra `@action`s must be named here);
2. the model permission of a standard viewset action (list/retrieve: view, create: add,
   update/partial_update: change, destroy: delete) for the viewset's `queryset.model`;
3. `permissions_by_method[METHOD]` on an APIView (HEAD and OPTIONS use GET's).
A view that names nothing is closed to everyone (403), so an endpoint added without a
permission cannot be open by accident; tests/access/test_route_permissions.py walks every route.
A method the view does not serve at all is not a question of roles: it passes here, so the view
answers 405 (with the methods it does allow) to every caller, as HTTP says.
`AUTHENTICATED` opens an action to any signed-in user (their own tokens, for instance).
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

AUTHENTICATED = "authenticated"

_MODEL_ACTIONS = {
    "list": "view",
    "retrieve": "view",
    "create": "add",
    "update": "change",
    "partial_update": "change",
    "destroy": "delete",
}


def required_permission(view: Any, method: str) -> str | None:
    """The permission `view` needs for a request with `method`, or None when it names none."""
    action = getattr(view, "action", None)
    if action:
        by_action = getattr(view, "permissions_by_action", {}) or {}
        if action in by_action:
            return by_action[action]
        if action in _MODEL_ACTIONS and getattr(view, "queryset", None) is not None:
            meta = view.queryset.model._meta
            return f"{meta.app_label}.{_MODEL_ACTIONS[action]}_{meta.model_name}"
        if action == "metadata":  # OPTIONS on a viewset: as much as reading it
            return required_permission_for_read(view)
    by_method = getattr(view, "permissions_by_method", {}) or {}
    method = "GET" if method in ("HEAD", "OPTIONS") else method
    return by_method.get(method)


def required_permission_for_read(view: Any) -> str | None:
    if getattr(view, "queryset", None) is None:
        return None
    meta = view.queryset.model._meta
    return f"{meta.app_label}.view_{meta.model_name}"


def method_served(view: Any, method: str) -> bool:
    """Whether `view` has a handler for `method` (DRF answers 405 for one it has not)."""
    name = method.lower()
    return name in view.http_method_names and callable(getattr(view, name, None))


class RolePermission(BasePermission):
    """Allows a request when the user holds the permission the view names for it."""

    message = "Your role does not allow this action."

    def has_permission(self, request: Any, view: Any) -> bool:
        if not method_served(view, request.method):
            return True  # the view's dispatch answers 405: no role could change that
        user = request.user
        if not (user and user.is_authenticated):
            return False
        permission = required_permission(view, request.method)
        if permission is None:
            return False
        return permission == AUTHENTICATED or user.has_perm(permission)
