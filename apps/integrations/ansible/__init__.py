"""ansible-runner, the platform's one way to run Ansible: `run_playbook` (see runner.py)."""

from .runner import PlaybookResult, process_is_zombie, process_start_ticks, run_playbook, stop_process_group

__all__ = ["PlaybookResult", "process_is_zombie", "process_start_ticks", "run_playbook", "stop_process_group"]
