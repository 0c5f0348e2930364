"""platform/: the Ansible configuration, and a folder that must never shadow the standard library."""

from __future__ import annotations

import configparser
import subprocess
import sys
from pathlib import Path

from tests.deployment.compose_helpers import ROOT


# --- platform/ --------------------------------------------------------------------------------
def test_ansible_configuration_checks_host_keys():
    config = configparser.ConfigParser()
    config.read(ROOT / "platform" / "ansible" / "ansible.cfg")
    defaults = config["defaults"]
    assert defaults.getboolean("host_key_checking") is True
    assert defaults.getboolean("retry_files_enabled") is False
    assert defaults.get("roles_path") == "roles"


def test_platform_folder_does_not_shadow_the_standard_library():
    assert not (ROOT / "platform" / "__init__.py").exists(), "platform/ must not be a Python package"
    # A fresh interpreter: this one imported the standard library's platform long ago.
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); import platform; "
            "print(platform.python_version()); print(platform.__file__)",
            str(ROOT),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    version, module_file = result.stdout.split()
    assert version.startswith(f"{sys.version_info.major}.{sys.version_info.minor}")
    assert not Path(module_file).resolve().is_relative_to(ROOT), f"platform imported from {module_file}"
