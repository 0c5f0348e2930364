"""Stable names of the audit tasks. Apps queue work by these names, never by importing tasks/."""

CLEANUP = "audit.cleanup_events"
