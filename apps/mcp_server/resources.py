"""The platform's documentation as MCP resources, so an assistant can explain the platform.

A fixed list of pages of docs/ (what each lifecycle means, how provisioning works...): a client
reads them by URI, and nothing outside the list can be read through this door.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

URI_PREFIX = "fleet://docs/"
MIME_TYPE = "text/markdown"


@dataclass(frozen=True)
class DocPage:
    file: str
    title: str
    description: str

    @property
    def uri(self) -> str:
        return f"{URI_PREFIX}{self.file}"

    @property
    def path(self) -> Path:
        return Path(settings.BASE_DIR) / "docs" / self.file


DOC_PAGES = (
    DocPage("architecture.md", "Architecture", "The processes, where code lives, Celery, development and production."),
    DocPage("servers.md", "Servers", "Provider accounts, server_sync, the servers' lifecycle and provider status."),
    DocPage("monitoring.md", "Monitoring", "Health checks over SSH, host key pinning, incidents and notifications."),
    DocPage(
        "provisioning.md", "Provisioning", "Provisioning chains: access, reinstall, SSH, Ansible, finalize; retries."
    ),
    DocPage("projects.md", "Projects", "GitHub organizations, github_sync, the docs index and docs search."),
    DocPage("access.md", "Access", "Roles (viewer, operator, admin), API tokens and request rates."),
    DocPage("audit.md", "Audit", "The audit trail: what is recorded and who can read it."),
    DocPage("observability.md", "Observability", "Metrics, the admin dashboard, logs and request ids."),
    DocPage("mcp.md", "MCP server and assistant", "This server: its tools, roles, write tools and the assistant."),
)


def doc_page(uri: str) -> DocPage | None:
    return next((page for page in DOC_PAGES if page.uri == uri), None)


def doc_text(page: DocPage) -> str:
    return page.path.read_text(encoding="utf-8")
