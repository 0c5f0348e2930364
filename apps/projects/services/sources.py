"""A GitHub project as a job's source: a ref resolved to a commit, the playbooks at it, its tree
written into a run's directory, and the collections it needs but does not vendor.

Everything goes through the project's account's GitHub client (apps/projects/github.py): a launch
resolves the ref (`project_ref_resolve`) and records the commit; the worker writes that commit's
tree (`project_tree_fetch`) and checks `collections_missing`. The platform downloads nothing else
at run time (no Galaxy): collections a project needs must be vendored in its repository.

Errors: bad input is a `ValidationError` with field errors (400); GitHub unreachable, rate-limited
or refusing the account's credentials is a `ServiceUnavailableError` (503: trying later, or after
fixing the account, can help); a tree that cannot be used is a `ProjectSourceError`. Messages name
the repository and the ref, never a credential.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

import structlog
import yaml
from django.conf import settings

from apps.core.exceptions import PlatformError, ServiceUnavailableError, ValidationError
from apps.integrations.github import (
    GitHubAuthenticationError,
    GitHubClient,
    GitHubError,
    GitHubNotFoundError,
    GitHubRateLimitedError,
    GitHubTreeTruncatedError,
    GitHubUnavailableError,
    TreeEntry,
)
from apps.projects.choices import ProjectState
from apps.projects.github import github_client_for
from apps.projects.models import Project

log = structlog.get_logger(__name__)

MAX_REF_CHARS = 255
SHA = re.compile(r"^[0-9a-fA-F]{40}$")

# --- Which files are playbooks ----------------------------------------------------------------
# A playbook is a .yml/.yaml file at the top of the repository or anywhere under playbooks/,
# except files and directories whose name starts with "." (.github/, .pre-commit-config.yaml),
# anything under a directory of Ansible's own layout or of inventories (below), and files that
# are known to be something else (below). Decided from the tree alone: listing costs one request.
PLAYBOOK_SUFFIXES = (".yml", ".yaml")
PLAYBOOK_DIRECTORY = "playbooks"
NOT_PLAYBOOK_DIRECTORIES = frozenset(
    {
        "collections",
        "defaults",
        "files",
        "filter_plugins",
        "group_vars",
        "handlers",
        "host_vars",
        "inventories",
        "inventory",
        "library",
        "meta",
        "module_utils",
        "molecule",
        "plugins",
        "roles",
        "tasks",
        "templates",
        "vars",
    }
)
NOT_PLAYBOOK_FILES = frozenset(
    {
        "requirements.yml",
        "requirements.yaml",
        "galaxy.yml",
        "galaxy.yaml",
        "compose.yml",
        "compose.yaml",
        "docker-compose.yml",
        "docker-compose.yaml",
        "mkdocs.yml",
        "mkdocs.yaml",
        "codecov.yml",
        "codecov.yaml",
    }
)

# --- Writing a tree ---------------------------------------------------------------------------
SYMLINK_MODE = "120000"
EXECUTABLE_MODE = "100755"
# Git refuses these path components too; a tree that has one did not come from git.
REFUSED_COMPONENTS = frozenset({"", ".", "..", ".git"})

# --- Collections ------------------------------------------------------------------------------
REQUIREMENTS_FILES = (
    "collections/requirements.yml",
    "collections/requirements.yaml",
    "requirements.yml",
    "requirements.yaml",
)
VENDORED_DIRECTORY = "collections/ansible_collections"
COLLECTION_NAME = re.compile(r"^([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)$")
BUILT_IN_NAMESPACE = "ansible"  # ansible.builtin, ansible.legacy: part of ansible-core


class ProjectSourceError(PlatformError):
    """A project's tree cannot be a job's source (larger than the bound, a path that would
    leave the run directory, a listing GitHub truncated, a commit gone from the repository)."""

    status_code = 400


# --- Resolving a ref --------------------------------------------------------------------------


def project_ref_resolve(*, project: Project, ref: str, field: str = "source") -> str:
    """The 40-digit SHA (lower case) of the commit `ref` (a branch, a tag or a commit SHA of 7+
    digits) names in the project's repository: one request.

    ValidationError({field: [...]}) for an archived project, an empty or unusable ref, or one
    that names nothing ("no branch, tag or commit 'x' in org/repo"); ServiceUnavailableError when
    GitHub cannot be reached, is rate-limited or refuses the account.
    """
    ref = _checked_ref(project, ref, field)
    with _github(project) as client:
        try:
            return client.commit_sha(project.full_name, ref)
        except GitHubNotFoundError:
            raise ValidationError({field: [f"no branch, tag or commit '{ref}' in {project.full_name}"]}) from None


def project_playbooks(*, project: Project, ref: str, field: str = "source") -> list[str]:
    """The playbooks in the project's tree at `ref` (a commit SHA, or a branch or tag resolved
    first), in path order; the rule is NOT_PLAYBOOK_* above. Errors as project_ref_resolve."""
    commit = ref.strip().lower() if isinstance(ref, str) and SHA.match(ref.strip()) else None
    if commit is None:
        commit = project_ref_resolve(project=project, ref=ref, field=field)
    else:
        _checked_ref(project, commit, field)
    with _github(project) as client:
        try:
            entries = client.tree(project.full_name, commit)
        except GitHubNotFoundError:
            raise ValidationError({field: [f"no branch, tag or commit '{commit}' in {project.full_name}"]}) from None
    return [entry.path for entry in entries if entry.type == "blob" and is_playbook_path(entry.path)]


def is_playbook_path(path: str) -> bool:
    """Whether a file at `path` (relative, "/"-separated) counts as a playbook (module comment above)."""
    parts = path.split("/")
    name = parts[-1]
    if not name.lower().endswith(PLAYBOOK_SUFFIXES) or name.lower() in NOT_PLAYBOOK_FILES:
        return False
    if len(parts) > 1 and parts[0] != PLAYBOOK_DIRECTORY:
        return False
    if any(part.startswith(".") for part in parts):
        return False
    return not any(part in NOT_PLAYBOOK_DIRECTORIES for part in parts[1:-1])


# --- Writing the tree of a commit -------------------------------------------------------------


def project_tree_fetch(
    *,
    project: Project,
    commit: str,
    dest: Path,
    max_bytes: int | None = None,
    max_files: int | None = None,
) -> int:
    """Write every file of the project's tree at `commit` under `dest` (an existing, empty
    directory); return how many files were written.

    One request for the tree, then one per distinct blob (a file whose content another file has
    is not downloaded twice). Nothing is downloaded when the files add up to more than
    `max_bytes` (default JOBS_SOURCE_MAX_BYTES) or number more than `max_files` (default
    JOBS_SOURCE_MAX_FILES), or when the rate budget GitHub last reported cannot pay for them.
    A path that is absolute or has a "", ".", ".." or ".git" component refuses the whole tree
    (git never writes one: the answer is broken or hostile); symbolic links (mode 120000) and
    submodules are skipped, never created, so nothing written can point outside `dest`. Each
    blob is checked against its git id. Files are created, never overwritten or followed
    (O_EXCL | O_NOFOLLOW), 0644, or 0755 for mode 100755. After an error `dest` may hold part
    of the tree: the caller discards the directory.

    ProjectSourceError for a tree that cannot be used (and a commit not in the repository);
    ServiceUnavailableError as project_ref_resolve.
    """
    if not isinstance(commit, str) or not SHA.match(commit):
        raise ValueError("commit must be a 40-digit hex SHA (from project_ref_resolve)")
    dest = Path(dest)
    if not dest.is_dir() or dest.is_symlink() or any(dest.iterdir()):
        raise ValueError(f"{dest} must be an existing, empty directory")
    max_bytes = settings.JOBS_SOURCE_MAX_BYTES if max_bytes is None else max_bytes
    max_files = settings.JOBS_SOURCE_MAX_FILES if max_files is None else max_files
    where = f"{project.full_name} at {commit[:12]}"
    with _github(project) as client:
        try:
            entries = client.tree(project.full_name, commit)
        except GitHubNotFoundError:
            raise ProjectSourceError(f"commit {commit} is not in {project.full_name}") from None
        directories, files, skipped = _plan(entries, where)
        _check_bounds(files, where, max_bytes=max_bytes, max_files=max_files)
        by_sha: dict[str, list[TreeEntry]] = {}
        for entry in files:
            by_sha.setdefault(entry.sha, []).append(entry)
        budget = client.last_rate_budget()
        if budget is not None and budget.remaining < len(by_sha):
            raise ServiceUnavailableError(
                f"fetching {where} takes {len(by_sha)} GitHub requests and only {budget.remaining} are left "
                f"until {budget.reset_at:%H:%M} UTC; try again then"
            )
        root = dest.resolve()
        for directory in directories:
            (root / directory).mkdir(parents=True, exist_ok=True)
        written = total = 0
        for sha, same in by_sha.items():
            data = client.blob(project.full_name, sha)
            if _git_blob_id(data) != sha:
                raise ProjectSourceError(f"GitHub's content of {same[0].path} in {where} does not match its id")
            total += len(data) * len(same)
            if total > max_bytes:
                raise ProjectSourceError(_too_large(where, total, max_bytes))
            for entry in same:
                _write(root, entry, data, where)
                written += 1
    log.info(
        "projects.source_fetched",
        project=project.full_name,
        commit=commit,
        files=written,
        bytes=total,
        skipped=skipped[:20],
    )
    return written


def _plan(entries: list[TreeEntry], where: str) -> tuple[list[str], list[TreeEntry], list[str]]:
    """(directories to create, files to write, paths skipped: symlinks and submodules)."""
    directories, files, skipped = [], [], []
    for entry in entries:
        _check_path(entry.path, where)
        if entry.type == "tree":
            directories.append(entry.path)
        elif entry.type == "blob" and entry.mode != SYMLINK_MODE:
            files.append(entry)
        else:
            skipped.append(entry.path)
    return directories, files, skipped


def _check_path(path: str, where: str) -> None:
    parts = path.split("/")
    if path.startswith("/") or "\x00" in path or any(part in REFUSED_COMPONENTS for part in parts):
        raise ProjectSourceError(f"the tree of {where} names a path outside the run directory: {path[:200]!r}")


def _check_bounds(files: list[TreeEntry], where: str, *, max_bytes: int, max_files: int) -> None:
    if len(files) > max_files:
        raise ProjectSourceError(
            f"{where} has {len(files)} files, more than JOBS_SOURCE_MAX_FILES ({max_files}) a job's source may have"
        )
    size = sum(entry.size for entry in files)
    if size > max_bytes:
        raise ProjectSourceError(_too_large(where, size, max_bytes))


def _too_large(where: str, size: int, max_bytes: int) -> str:
    return f"{where} holds {size} bytes, more than JOBS_SOURCE_MAX_BYTES ({max_bytes}) a job's source may hold"


def _git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\x00" % len(data) + data, usedforsecurity=False).hexdigest()


def _write(root: Path, entry: TreeEntry, data: bytes, where: str) -> None:
    target = root.joinpath(*PurePosixPath(entry.path).parts)
    if root not in target.parents:
        raise ProjectSourceError(f"the tree of {where} names a path outside the run directory: {entry.path[:200]!r}")
    mode = 0o755 if entry.mode == EXECUTABLE_MODE else 0o644
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(target, mode, follow_symlinks=False)  # the umask may have taken bits away
    except OSError as error:
        raise ProjectSourceError(f"could not write {entry.path[:200]} of {where}: {error.strerror}") from None


# --- Collections ------------------------------------------------------------------------------


def collections_missing(dest: Path) -> str | None:
    """A message naming the collections the source in `dest` asks for (collections/requirements.yml
    or requirements.yml, their `collections` key) that it does not vendor, or None when none is missing.

    A collection is there when it is vendored under collections/ansible_collections/<ns>/<name>,
    or is part of Ansible as the platform runs it (ansible.builtin, and the collections the
    `ansible` package installs beside ansible-core, which ansible-playbook finds on its own).
    An entry of type git, url, file or dir cannot be checked and counts as missing.
    """
    dest = Path(dest)
    missing: dict[str, list[str]] = {}
    problems: list[str] = []
    for relative in REQUIREMENTS_FILES:
        path = dest / relative
        if path.is_symlink() or not path.is_file():
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            problems.append(f"{relative} cannot be read ({type(error).__name__})")
            continue
        for name in _required_collections(data):
            if not _collection_available(dest, name):
                missing.setdefault(name, []).append(relative)
    if not missing and not problems:
        return None
    parts = []
    if missing:
        named = ", ".join(f"{name} ({', '.join(files)})" for name, files in missing.items())
        parts.append(f"the project needs collections it does not vendor: {named}")
    parts.extend(problems)
    return (
        "; ".join(parts) + ". The platform downloads nothing at run time (no Galaxy): vendor each collection in "
        f"the repository under {VENDORED_DIRECTORY}/<namespace>/<name> (for example `ansible-galaxy collection "
        "install -r collections/requirements.yml -p collections`) and commit it."
    )


def _required_collections(data: object) -> Iterator[str]:
    if not isinstance(data, dict):  # the old format, a list, names roles only
        return
    items = data.get("collections") or []
    for item in items if isinstance(items, list) else [items]:
        if isinstance(item, str):
            yield item.strip()
        elif isinstance(item, dict) and item.get("name"):
            name = str(item["name"]).strip()
            kind = str(item.get("type") or "galaxy")
            yield name if kind == "galaxy" else f"{name} ({kind})"


def _collection_available(dest: Path, name: str) -> bool:
    match = COLLECTION_NAME.match(name)
    if match is None:  # a URL, a path, a git source: nothing to look for
        return False
    namespace, collection = match.groups()
    if namespace == BUILT_IN_NAMESPACE and collection in ("builtin", "legacy"):
        return True
    vendored = dest / VENDORED_DIRECTORY / namespace / collection
    if vendored.is_dir() and not vendored.is_symlink():
        return True
    return any((Path(location) / namespace / collection).is_dir() for location in _installed_collection_roots())


def _installed_collection_roots() -> list[str]:
    """Where the platform's Python environment keeps collections (the `ansible` package's)."""
    spec = importlib.util.find_spec("ansible_collections")
    return list(spec.submodule_search_locations or []) if spec is not None else []


# --- Plumbing ---------------------------------------------------------------------------------


def _checked_ref(project: Project, ref: str, field: str) -> str:
    if project.state == ProjectState.ARCHIVED:
        raise ValidationError({field: [f"{project.full_name} is archived: it is no longer in the organization"]})
    if not isinstance(ref, str) or not ref.strip():
        raise ValidationError({field: [f"name a branch, tag or commit of {project.full_name}"]})
    ref = ref.strip()
    if len(ref) > MAX_REF_CHARS or any(ord(char) < 32 or char in " ~^:?*[\\" for char in ref) or ".." in ref:
        raise ValidationError({field: [f"'{ref[:100]}' is not a branch, tag or commit name"]})
    return ref


@contextmanager
def _github(project: Project) -> Iterator[GitHubClient]:
    """The account's client; GitHub's failures as the platform's errors (no secrets in them)."""
    organization = project.account.organization
    try:
        with github_client_for(project.account) as client:
            yield client
    except GitHubRateLimitedError as error:
        raise ServiceUnavailableError(
            f"GitHub's rate limit for {organization} is spent until {error.reset_at:%H:%M} UTC; try again then"
        ) from None
    except GitHubAuthenticationError:
        raise ServiceUnavailableError(
            f"GitHub refused the credentials of the {organization} account for {project.full_name}: "
            "check the account's token or App installation"
        ) from None
    except GitHubUnavailableError:
        raise ServiceUnavailableError(f"GitHub cannot be reached for {project.full_name}; try again later") from None
    except GitHubTreeTruncatedError:
        raise ProjectSourceError(
            f"{project.full_name} is too large for GitHub to list its tree in one answer; "
            "a job's source must be a smaller repository"
        ) from None
    except GitHubError as error:
        raise ServiceUnavailableError(f"GitHub could not answer for {project.full_name}: {error.message}") from None
