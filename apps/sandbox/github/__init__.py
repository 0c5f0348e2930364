"""The sandbox GitHub: a GitHub-compatible REST API served by the platform outside production (see README.md)."""
