"""run_playbook refuses an inventory whose ansible_host would be an option on ssh's command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.integrations.ansible import run_playbook

PLAYBOOKS = Path(__file__).resolve().parents[1] / "provisioning" / "playbooks"


def test_an_option_as_ansible_host_is_refused_before_ansible_starts(tmp_path):
    marker = tmp_path / "injected"
    events = []

    with pytest.raises(ValueError, match="refusing ansible_host '-oProxyCommand=touch"):
        run_playbook(
            playbook_dir=PLAYBOOKS,
            playbook="ok.yml",
            inventory={"all": {"hosts": {"web1": {"ansible_host": f"-oProxyCommand=touch {marker}"}}}},
            extravars={},
            config_file=PLAYBOOKS.parent.parent.parent / "platform" / "ansible" / "ansible.cfg",
            work_root=tmp_path / "work",
            timeout=30,
            cancel_callback=lambda: False,
            event_handler=events.append,
        )

    assert events == []
    assert not marker.exists()
    assert not (tmp_path / "work").exists()  # nothing was prepared
