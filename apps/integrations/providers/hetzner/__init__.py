"""Hetzner Cloud behind the provider interface, through its official client `hcloud`."""

from .adapter import HetznerAdapter

__all__ = ["HetznerAdapter"]
