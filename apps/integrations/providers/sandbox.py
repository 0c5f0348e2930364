"""The development sandbox behind the provider interface: the platform's own stand-in provider.

It speaks the Time4VPS API (apps/sandbox serves it under /sandbox/api/), so its adapter is the
Time4VPS one; its servers are the machine the platform runs on, and production refuses it.
"""

from __future__ import annotations

from django.conf import settings

from apps.integrations.providers.time4vps.adapter import Time4VPSAdapter


class SandboxAdapter(Time4VPSAdapter):
    kind = "sandbox"
    title = "Sandbox (development)"
    development_only = True

    @classmethod
    def default_base_url(cls) -> str | None:
        return settings.SANDBOX_BASE_URL
