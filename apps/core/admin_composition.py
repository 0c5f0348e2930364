"""Model admins built from parts that several apps contribute.

A model that several apps extend (the Server: health from monitoring, provisioning's pages) is
registered once, by one explicit composition (config/admin.py), from its own app's admin class
and the parts the other apps offer. Nothing depends on the order of INSTALLED_APPS, and no app
reaches into another's registration.

A part is a mixin: its methods (actions, views, permission checks) join the composed class, and
what it adds to the admin's lists is declared in `adds`, appended after the base's entries in
the order the parts are given.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from django.contrib import admin


@dataclass(frozen=True)
class ServerTool:
    """A button at the top of a composed change page that a part offers (its change_view appends
    it to the `server_tools` context list): a link to a page that asks first, or a POST."""

    label: str
    url: str
    element_id: str
    post: bool = False

    @property
    def action(self) -> dict:
        """As unfold's tab action helpers read an action."""
        return {"attrs": {"id": self.element_id}}


def with_tool(extra_context: dict | None, tool: ServerTool) -> dict:
    context = dict(extra_context or {})
    context["server_tools"] = [*context.get("server_tools", []), tool]
    return context


@dataclass(frozen=True)
class AdminAdditions:
    list_display: tuple = ()
    readonly_fields: tuple = ()
    fieldsets: tuple = ()
    inlines: tuple = ()
    actions: tuple = ()


def compose_model_admin(name: str, base: type[admin.ModelAdmin], *parts: type) -> type[admin.ModelAdmin]:
    """`base` with `parts` mixed in before it; each list attribute is base's entries followed by
    every part's additions."""
    attrs: dict = {"__module__": base.__module__, "__qualname__": name, "__doc__": base.__doc__}
    for field in fields(AdminAdditions):
        combined = list(getattr(base, field.name, None) or ())
        for part in parts:
            additions = part.__dict__.get("adds")
            if not isinstance(additions, AdminAdditions):
                raise TypeError(f"{part.__qualname__} declares no AdminAdditions in `adds`")
            combined.extend(getattr(additions, field.name))
        attrs[field.name] = combined if field.name in ("inlines", "actions") else tuple(combined)
    return type(name, (*parts, base), attrs)
