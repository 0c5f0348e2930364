"""Reading the settings creates nothing; a process's start creates VAR_DIR and the broker's folders."""

import os
import subprocess
import sys

from tests.conftest import REPO_ROOT


def run_python(code: str, var_dir) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("CELERY_BROKER_URL", "CELERY_BROKER_DIR")}
    env.update(ENV_FILE="/nonexistent", ENVIRONMENT="development", VAR_DIR=str(var_dir))
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_reading_the_settings_creates_no_directory(tmp_path):
    var_dir = tmp_path / "var"

    result = run_python("import config.settings", var_dir)

    assert result.returncode == 0, result.stderr
    assert not var_dir.exists()


def test_a_starting_process_creates_var_dir_and_the_filesystem_brokers_folders(tmp_path):
    var_dir = tmp_path / "var"

    result = run_python(
        "import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup()",
        var_dir,
    )

    assert result.returncode == 0, result.stderr
    assert (var_dir / "broker" / "messages").is_dir()
    assert (var_dir / "broker" / "control").is_dir()
