"""Where a job's playbook comes from: the platform's playbook directory, or a synced GitHub
project at a commit (fetched through the GitHub client into the job's own directory at run time;
nothing is downloaded from anywhere else: no Galaxy)."""

from __future__ import annotations

from pathlib import PurePosixPath

from apps.core.exceptions import ValidationError
from apps.projects.choices import ProjectState
from apps.projects.models import Project
from apps.projects.services.sources import project_playbooks, project_ref_resolve
from apps.provisioning.services.playbooks import PLAYBOOK_NAME, playbook_dir, playbooks_available


def playbook_path_check(playbook: str) -> str:
    """A relative path inside the source, ending in .yml or .yaml."""
    if not isinstance(playbook, str) or not playbook.strip():
        raise ValidationError({"playbook": ["name a playbook file of the source, e.g. site.yml"]})
    path = PurePosixPath(playbook)
    if path.is_absolute() or ".." in path.parts or "\\" in playbook or playbook.startswith("~"):
        raise ValidationError({"playbook": [f"{playbook!r} is outside the source: give a path inside it"]})
    if path.suffix not in (".yml", ".yaml"):
        raise ValidationError({"playbook": [f"{playbook!r} is not a playbook file (.yml or .yaml)"]})
    return str(path)


def project_check(project: Project | None) -> Project | None:
    if project is not None and project.state != ProjectState.ACTIVE:
        raise ValidationError({"source": [f"{project.full_name} is {project.state} on GitHub: it cannot be a source"]})
    return project


def source_resolve(*, project: Project | None, ref: str, playbook: str) -> str:
    """Check that `playbook` exists in the source (at `ref` for a project); returns the commit
    the ref resolved to ("" for the platform's directory). ValidationError on `source` or `playbook`."""
    playbook = playbook_path_check(playbook)
    if project is None:
        if not PLAYBOOK_NAME.match(playbook) or not (playbook_dir() / playbook).is_file():
            available = ", ".join(playbooks_available()) or "none"
            raise ValidationError(
                {"playbook": [f"no playbook {playbook!r} in the platform's directory; available: {available}"]}
            )
        return ""
    project_check(project)
    commit = project_ref_resolve(project=project, ref=ref or project.default_branch)
    available = project_playbooks(project=project, ref=commit)
    if playbook not in available:
        raise ValidationError(
            {
                "playbook": [
                    f"no playbook {playbook!r} in {project.full_name} at {commit[:12]}; "
                    f"available: {', '.join(available) or 'none'}"
                ]
            }
        )
    return commit
