"""Stable names of the scheduling tasks. Apps queue work by these names, never by importing tasks/."""

CLEANUP_WORKERS = "scheduling.cleanup_workers"
