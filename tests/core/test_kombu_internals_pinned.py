"""Two modules lean on kombu's internals, which change without notice between releases: the
Redis transport's consumer (tasks/broker.py) and the patched channel close (tasks/signals.py).
Upgrading kombu must make someone read them again against the new release."""

from importlib import import_module
from importlib.metadata import version

import pytest

MODULES_ON_KOMBU_INTERNALS = ("tasks.broker", "tasks.signals")


@pytest.mark.parametrize("module_name", MODULES_ON_KOMBU_INTERNALS)
def test_installed_kombu_is_the_release_the_module_was_written_against(module_name):
    written_for = import_module(module_name).WRITTEN_FOR_KOMBU
    installed = version("kombu")
    assert installed == written_for, (
        f"{module_name} overrides kombu internals read against kombu {written_for}, but kombu {installed} "
        f"is installed: check {', '.join(MODULES_ON_KOMBU_INTERNALS)} against the new kombu, then update "
        "WRITTEN_FOR_KOMBU in each"
    )
