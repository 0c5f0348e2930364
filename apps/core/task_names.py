"""Stable names of the core tasks. Apps queue work by these names, never by importing tasks/."""

HEARTBEAT = "core.heartbeat"
CLEANUP_TASK_RESULTS = "core.cleanup_task_results"
