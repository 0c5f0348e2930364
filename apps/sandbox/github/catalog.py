"""The sandbox GitHub's deterministic world: repository n of an organization, and its files.

Every value depends on the organization and n alone, so any number of processes seeding at once
write identical rows and the unique constraints settle the race.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from .themes import THEMES, Theme

ORG_ID_BASE = 9_000_000
REPO_ID_BASE = 700_000_000
MAX_REPOS = 999_999  # ids leave room for a million repositories per organization
FIRST_CREATED = datetime(2021, 1, 4, 9, 0, tzinfo=UTC)
FIRST_PUSHED = datetime(2024, 1, 1, 8, 0, tzinfo=UTC)
# A tiny PNG: the docs directory holds a non-markdown file, which the client must leave out.
DIAGRAM_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a5e90000000049454e44ae426082"
)


def _org_hash(organization: str) -> int:
    return zlib.crc32(organization.lower().encode())


def organization_id(organization: str) -> int:
    return ORG_ID_BASE + _org_hash(organization) % 1_000_000


def repo_github_id(organization: str, n: int) -> int:
    return REPO_ID_BASE + (_org_hash(organization) % 1000) * 1_000_000 + n


def theme_for(n: int) -> Theme:
    return THEMES[(n - 1) % len(THEMES)]


def repo_name(n: int) -> str:
    cycle = (n - 1) // len(THEMES) + 1
    slug = theme_for(n).slug
    return slug if cycle == 1 else f"{slug}-{cycle}"


def commit_sha(*parts: object) -> str:
    return hashlib.sha1("/".join(str(part) for part in parts).encode(), usedforsecurity=False).hexdigest()


def blob_sha(content: bytes) -> str:
    """Git's blob id: SHA-1 of "blob <size>\\0" + content, as GitHub's contents API reports it."""
    return hashlib.sha1(b"blob %d\x00" % len(content) + content, usedforsecurity=False).hexdigest()


FILE_MODE = "100644"  # every sandbox file is a plain, non-executable file
TREE_MODE = "040000"  # as GitHub's trees API shows a directory's mode (git stores "40000")


def tree_shas(blobs: Mapping[str, str]) -> dict[str, str]:
    """Git's tree id of every directory of these files ({path: blob SHA}), keyed by the
    directory's path ("" is the root): SHA-1 of "tree <size>\\0" and the entries ("<mode> <name>\\0"
    and the 20-byte id), sorted as git sorts them (a directory's name as if it ended in "/")."""
    children: dict[str, dict[str, tuple[str, str]]] = {"": {}}
    for path in blobs:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            children.setdefault("/".join(parts[:depth]), {})
    for path, sha in blobs.items():
        parent, _, name = path.rpartition("/")
        children[parent][name] = (FILE_MODE, sha)
    shas: dict[str, str] = {}
    for directory in sorted(children, key=lambda path: path.count("/") if path else -1, reverse=True):
        entries = children[directory]
        body = b"".join(
            f"{mode.lstrip('0')} {name}".encode() + b"\x00" + bytes.fromhex(sha)
            for name, (mode, sha) in sorted(entries.items(), key=lambda item: _git_order(*item))
        )
        shas[directory] = hashlib.sha1(b"tree %d\x00" % len(body) + body, usedforsecurity=False).hexdigest()
        if directory:
            parent, _, name = directory.rpartition("/")
            children[parent][name] = (TREE_MODE, shas[directory])
    return shas


def _git_order(name: str, entry: tuple[str, str]) -> bytes:
    return name.encode() + (b"/" if entry[0] == TREE_MODE else b"")


def repo_values(organization: str, n: int) -> dict[str, object]:
    """Every field of seeded repository n (1-based) of `organization`."""
    if not 1 <= n <= MAX_REPOS:
        raise ValueError(f"the sandbox GitHub seeds repositories 1 to {MAX_REPOS}, not {n}")
    theme = theme_for(n)
    if n % 5 == 0:
        visibility = "private"
    elif n % 13 == 0:
        visibility = "internal"
    else:
        visibility = "public"
    return {
        "github_id": repo_github_id(organization, n),
        "organization": organization,
        "seed_number": n,
        "name": repo_name(n),
        "description": theme.summary,
        "topics": list(theme.topics),
        "visibility": visibility,
        "fork": n % 7 == 0,
        "archived": n % 11 == 0,
        "default_branch": "master" if n % 6 == 0 else "main",
        "created_at": FIRST_CREATED + timedelta(days=n % 900, minutes=n),
        "pushed_at": FIRST_PUSHED + timedelta(days=(n * 37) % 500, minutes=n),
        "head_sha": commit_sha(organization.lower(), n, 0),
    }


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def repo_files(organization: str, n: int) -> dict[str, bytes]:
    """The files of seeded repository n: a README and a few docs (one in a subdirectory), and
    a small Ansible content set (ansible_files)."""
    theme, name = theme_for(n), repo_name(n)
    port = 8000 + n % 1000
    components = "\n".join(f"- **{component}** {what}." for component, what in theme.components)
    settings_table = "\n".join(f"| `{key}` | {meaning} |" for key, meaning in theme.settings)
    readme = (
        f"# {name}\n\n{theme.summary}\n\n"
        f"Part of the {organization} platform; maintained by the {theme.title.lower()} team.\n\n"
        "## Quick start\n\n"
        f"```sh\nmake install\nmake run  # serves on http://127.0.0.1:{port}\n```\n\n"
        "## Documentation\n\n"
        "- [Architecture](docs/architecture.md)\n- [Operations](docs/operations.md)\n"
        "- [Configuration](docs/configuration.md)\n"
        f"- [{theme.guide_title}](docs/guides/{_slug(theme.guide_title)}.md)\n"
    )
    files = {
        "README.md": readme,
        "docs/architecture.md": (f"# {theme.title}: architecture\n\n{theme.design}\n\n## Components\n\n{components}\n"),
        "docs/operations.md": (
            f"# Operating {name}\n\n{theme.operations}\n\n## When things go wrong\n\n{theme.failure}\n\n"
            f"The service listens on port {port}; its health endpoint is `/health/ready`.\n"
        ),
        "docs/configuration.md": (
            f"# Configuring {name}\n\nSettings are read from the environment at start-up.\n\n"
            f"| variable | meaning |\n|---|---|\n{settings_table}\n"
        ),
        f"docs/guides/{_slug(theme.guide_title)}.md": f"# {theme.guide_title}\n\n{theme.guide}\n",
    }
    encoded = {path: text.encode() for path, text in files.items()}
    if n % 4 == 0:
        encoded["docs/diagram.png"] = DIAGRAM_PNG
    return encoded | ansible_files(n)


# A collection the deploy-pipeline repositories name but do not vendor, and that no Ansible
# installation ships: launching a job from one shows the platform's "vendor it" message.
UNVENDORED_COLLECTION = "sandbox_internal.rollout"


def ansible_files(n: int) -> dict[str, bytes]:
    """Playbooks a job can run against any host, harmless everywhere: playbooks/ping.yml and
    playbooks/site.yml (ping, a debug message, `uname -a` that changes nothing). The
    deploy-pipeline repositories also have collections/requirements.yml naming a collection
    they do not vendor (UNVENDORED_COLLECTION) beside one every Ansible package ships."""
    theme, name = theme_for(n), repo_name(n)
    ping = (
        "---\n"
        f"# {name}: is every host reachable?\n"
        "- name: Ping every host\n"
        "  hosts: all\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - name: Ping\n"
        "      ansible.builtin.ping:\n"
    )
    site = (
        "---\n"
        f"# {name}: a harmless look at every host ({theme.title.lower()}).\n"
        f"- name: Check the hosts of {name}\n"
        "  hosts: all\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - name: Ping\n"
        "      ansible.builtin.ping:\n"
        "\n"
        "    - name: Say where the play runs\n"
        "      ansible.builtin.debug:\n"
        f'        msg: "{name} checks {{{{ inventory_hostname }}}}"\n'
        "\n"
        "    - name: Show the kernel\n"
        "      ansible.builtin.command: uname -a\n"
        "      register: kernel\n"
        "      changed_when: false\n"
        "\n"
        "    - name: Report the kernel\n"
        "      ansible.builtin.debug:\n"
        "        var: kernel.stdout\n"
    )
    files = {"playbooks/ping.yml": ping, "playbooks/site.yml": site}
    if theme.slug == "deploy-pipeline":
        files["collections/requirements.yml"] = (
            "---\n"
            "collections:\n"
            "  - name: community.general\n"
            f"  - name: {UNVENDORED_COLLECTION}\n"
            '    version: ">=1.4.0"\n'
        )
    return {path: text.encode() for path, text in files.items()}
