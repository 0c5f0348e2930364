"""The SSH client's exceptions: one hierarchy, each saying whether trying again can help.

Messages name the host, the port and the user; they never contain a private key.
"""

from __future__ import annotations

from apps.integrations.common.errors import IntegrationError


class SshError(IntegrationError):
    """Base of every error the SSH client raises; `retryable` says whether a later try can succeed."""

    retryable: bool = False


class InvalidKeyError(SshError, ValueError):
    """A key text is not a usable unencrypted ed25519, RSA or ECDSA private key (or public key line).

    The message says what is wrong with it; it never repeats the text.
    """

    retryable = False


class SshInvalidHostError(SshError, ValueError):
    """The address is not an IP address or a host name (apps/integrations/ssh/hosts.py); nothing was sent."""

    retryable = False


class SshUnreachableError(SshError):
    """No TCP connection: refused, no route, unknown host name, connect time-out."""

    retryable = True


class SshTimeoutError(SshError):
    """The host accepted the TCP connection but stalled: no banner, no key exchange or
    authentication answer in time, or a command outlived its time-out."""

    retryable = True


class SshAuthenticationError(SshError):
    """The server refused the user and key (or wants an authentication method the client lacks)."""

    retryable = False


class SshHostKeyMismatchError(SshError):
    """The server presented a host key other than the pinned one; no command was run.

    `host_key` (`type base64`) and `fingerprint` are the key the server presented, so an operator
    can be shown it and accept it; `expected_fingerprint` is the pinned one.
    """

    retryable = False

    def __init__(self, message: str, *, host_key: str, fingerprint: str, expected_fingerprint: str) -> None:
        super().__init__(message)
        self.host_key = host_key
        self.fingerprint = fingerprint
        self.expected_fingerprint = expected_fingerprint


class SshProtocolError(SshError):
    """The peer does not speak usable SSH (not an SSH banner, no common algorithm, a broken session)."""

    retryable = False
