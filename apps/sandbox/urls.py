"""The sandbox's Time4VPS API, mounted at /sandbox/api/ (config/urls.py) outside production.

The client's base URL is `<host>/sandbox/api`; every path answers with or without a trailing slash.
"""

from django.urls import re_path

from apps.sandbox import views

SERVER = r"^server/(?P<server_id>[0-9]+)"

app_name = "sandbox"
urlpatterns = [
    re_path(r"^server/?$", views.server_list, name="server-list"),
    re_path(rf"{SERVER}/?$", views.server_details, name="server-details"),
    re_path(rf"{SERVER}/oses/?$", views.server_oses, name="server-oses"),
    re_path(rf"{SERVER}/reinstall/?$", views.server_reinstall, name="server-reinstall"),
    re_path(rf"{SERVER}/resetpassword/?$", views.server_reset_password, name="server-resetpassword"),
    re_path(rf"{SERVER}/reboot/?$", views.server_reboot, name="server-reboot"),
    re_path(rf"{SERVER}/task/(?P<task_ref>[A-Za-z0-9_]+)/?$", views.server_task, name="server-task"),
    # Anything else under /sandbox/api/ answers the provider's error body, not Django's 404 page.
    re_path(r"^(?P<path>.*)$", views.unknown_endpoint, name="unknown"),
]
