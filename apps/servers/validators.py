"""What the servers domain accepts: where a provider account's credentials may go, which
addresses the platform connects to over SSH, and what a server's labels may be."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError

from apps.core.validators import outbound_url_problems
from apps.integrations.providers import ProviderError
from apps.integrations.providers.registry import adapter_class
from apps.integrations.ssh import ssh_host_problem


def provider_base_url_problems(url: str, *, kind: str) -> list[str]:
    """Why `url` is not an acceptable base URL for an account of `kind`; empty when it is."""
    try:
        adapter = adapter_class(kind)
    except ProviderError as error:
        return [str(error)]
    if adapter.development_only and not settings.SANDBOX_ENABLED:
        return [f"the {adapter.kind} provider exists only in development"]
    return outbound_url_problems(url)


def validate_ssh_host(value: str) -> None:
    """The model's (so the admin's) and the API's check of a server's SSH host; the SSH client and
    the Ansible phase check the same rule again right before they connect."""
    problem = ssh_host_problem(value)
    if problem:
        raise ValidationError(f"The SSH host {problem}.", code="invalid_ssh_host")


# --- Labels -------------------------------------------------------------------------------
# Operators' labels follow Kubernetes' label rules, lower-cased: a key is what a selector names,
# and one spelling per key keeps "Role" and "role" from being two labels. A key needs a letter:
# the database's JSON paths read an all-digit key ("1") as a list index, so it could never match.
# Checked with fullmatch: `$` would let a trailing newline through.
MAX_LABELS = 50
LABEL_KEY = re.compile(r"[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?")
LABEL_VALUE = re.compile(r"[A-Za-z0-9._-]{0,63}")
# What a filter or a job selector may name: an operator's key, or a provider's (a provider's keys
# may be upper-case and carry a DNS prefix, `example.com/role`, so up to 255 characters).
SELECTOR_KEY = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._/-]{0,253}[A-Za-z0-9])?")
_LETTER = re.compile(r"[A-Za-z]")
LABEL_KEY_RULE = (
    "1 to 63 characters: lower-case letters, digits and . _ / -, beginning and ending with a letter "
    "or a digit, at least one of them a letter"
)
SELECTOR_KEY_RULE = (
    "1 to 255 characters: letters, digits and . _ / -, beginning and ending with a letter or a digit, "
    "at least one of them a letter"
)
LABEL_VALUE_RULE = "up to 63 characters: letters, digits and . _ -"


def label_key_problem(key: object) -> str | None:
    """Why `key` cannot be an operator's label key; None when it can."""
    if not isinstance(key, str) or not LABEL_KEY.fullmatch(key) or not _LETTER.search(key):
        return f"{_shown(key)}: a label key is {LABEL_KEY_RULE}"
    return None


def selector_key_problem(key: object) -> str | None:
    """Why `key` cannot be matched by a filter or a selector; None when it can."""
    if not isinstance(key, str) or not SELECTOR_KEY.fullmatch(key) or not _LETTER.search(key):
        return f"{_shown(key)}: a label key is {SELECTOR_KEY_RULE}"
    return None


def label_value_problem(key: object, value: object) -> str | None:
    """Why `value` cannot be the value of label `key`; None when it can."""
    if not isinstance(value, str) or not LABEL_VALUE.fullmatch(value):
        return f"{_shown(key)}: the value {_shown(value)} is not a label value: {LABEL_VALUE_RULE}"
    return None


def label_problems(labels: object) -> list[str]:
    """Everything wrong with `labels` as a server's operator labels, one message per problem
    (naming its key); empty when they are acceptable."""
    if not isinstance(labels, dict):
        return ["labels are an object of key: value strings"]
    problems = []
    if len(labels) > MAX_LABELS:
        problems.append(f"at most {MAX_LABELS} labels per server, not {len(labels)}")
    for key, value in labels.items():
        problem = label_key_problem(key) or label_value_problem(key, value)
        if problem:
            problems.append(problem)
    return problems


def validate_labels(value: object) -> None:
    """The model field's (so the admin's) check of a server's operator labels."""
    problems = label_problems(value)
    if problems:
        raise ValidationError(problems, code="invalid_labels")


def label_term_parse(term: str) -> tuple[str, str | None]:
    """`key=value` as (key, value), `key` alone as (key, None): "has this label". ValueError, with
    a message to show, when the key or the value could not be matched."""
    key, separator, value = term.partition("=")
    problem = selector_key_problem(key)
    if problem is None and separator:
        problem = label_value_problem(key, value)
    if problem:
        raise ValueError(f"{_shown(term)} is not key=value or key ({problem})")
    return key, (value if separator else None)


def labels_from_text(text: str) -> dict[str, str]:
    """`key=value` lines (the admin's text box) as labels; blank lines and spaces around keys and
    values are ignored. ValidationError listing each line that is not a label."""
    labels: dict[str, str] = {}
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, separator, value = (part.strip() for part in line.partition("="))
        if not separator:
            problems.append(f"line {number}: {_shown(line.strip())} is not key=value")
        elif key in labels:
            problems.append(f"line {number}: {_shown(key)} is given twice")
        else:
            problem = label_key_problem(key) or label_value_problem(key, value)
            if problem:
                problems.append(f"line {number}: {problem}")
            labels[key] = value
    if len(labels) > MAX_LABELS:
        problems.append(f"at most {MAX_LABELS} labels per server, not {len(labels)}")
    if problems:
        raise ValidationError(problems, code="invalid_labels")
    return dict(sorted(labels.items()))


def labels_text(labels: dict[str, str]) -> str:
    """Labels as `key=value` lines, sorted by key: the admin's text box, and its list column."""
    return "\n".join(f"{key}={value}" for key, value in sorted(labels.items()))


def _shown(value: object, limit: int = 80) -> str:
    """A value quoted for a message, cut short: an error must not echo a megabyte back."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
