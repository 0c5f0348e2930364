"""Every environment variable the platform, compose.yaml and gunicorn read is listed in .env.example and docs."""

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
READ_PATTERN = re.compile(r"""env(?:\.(?:str|bool|int|list|float|db_url|cache_url))?\(\s*["']([A-Z][A-Z0-9_]+)["']""")
SUBSTITUTION_PATTERN = re.compile(r"\$\{([A-Z][A-Z0-9_]+)")
GUNICORN_PATTERN = re.compile(r"""(?:_int|os\.environ\.get)\(\s*["']([A-Z][A-Z0-9_]+)["']""")


def variables_read() -> set[str]:
    names = set()
    for module in (REPO_ROOT / "config" / "settings").glob("*.py"):
        names |= set(READ_PATTERN.findall(module.read_text()))
    for path in ("Procfile", "compose.yaml"):
        names |= set(SUBSTITUTION_PATTERN.findall((REPO_ROOT / path).read_text()))
    names |= set(GUNICORN_PATTERN.findall((REPO_ROOT / "platform" / "docker" / "gunicorn.conf.py").read_text()))
    return names


def test_settings_read_the_variables_we_expect():
    # Guards the pattern above: if it stops matching, the two tests below would pass vacuously.
    expected = {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "FIELD_ENCRYPTION_KEYS", "POSTGRES_PASSWORD"}
    assert expected | {"FLOWER_BASIC_AUTH", "WEB_CONCURRENCY", "WEB_PORT"} <= variables_read()


def test_every_variable_is_in_env_example():
    example = (REPO_ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert variables_read() - listed == set()


def test_every_variable_is_in_the_configuration_doc():
    doc = (REPO_ROOT / "docs" / "configuration.md").read_text()
    assert {name for name in variables_read() if f"`{name}`" not in doc} == set()
