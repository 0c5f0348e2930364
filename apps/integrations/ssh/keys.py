"""SSH key material: generate an ed25519 pair, read a pasted private key, fingerprint host keys.

Fingerprints are `SHA256:<base64 without padding>`, as `ssh-keygen -l` prints them. No message
ever repeats the key text it was given.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from .errors import InvalidKeyError

#: The key line types `host_key_fingerprint` accepts (also certificates' plain types).
PUBLIC_KEY_TYPES = frozenset(
    {
        "ssh-ed25519",
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
    }
)
_PUBLIC_PREFIXES = (*PUBLIC_KEY_TYPES, "-----BEGIN SSH2 PUBLIC KEY", "-----BEGIN PUBLIC KEY", "-----BEGIN RSA PUBLIC")


@dataclass(frozen=True)
class KeyMaterial:
    """A private key (OpenSSH PEM text, unencrypted) with its public line and fingerprint."""

    private_key: str = field(repr=False)
    public_key: str
    fingerprint: str
    key_type: str  # 'ed25519' | 'rsa' | 'ecdsa'


def generate_ed25519(comment: str = "") -> KeyMaterial:
    """A new ed25519 key pair; `comment` ends the public line when given."""
    return _material(ed25519.Ed25519PrivateKey.generate(), comment)


def parse_private_key(text: str) -> KeyMaterial:
    """An unencrypted ed25519, RSA or ECDSA private key in OpenSSH or PEM (PKCS#1, SEC1, PKCS#8)
    form; the result's `private_key` is its OpenSSH form. Anything else raises InvalidKeyError."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidKeyError("the private key is empty")
    stripped = text.strip()
    if stripped.startswith(_PUBLIC_PREFIXES):
        raise InvalidKeyError("this is a public key; paste the private key (it starts with -----BEGIN)")
    if "-----BEGIN" not in stripped or "PRIVATE KEY-----" not in stripped:
        raise InvalidKeyError("this is not a private key: expected an OpenSSH or PEM block (-----BEGIN ...)")
    if "ENCRYPTED" in stripped.split("\n", 2)[0] or "Proc-Type: 4,ENCRYPTED" in stripped:
        raise InvalidKeyError("the private key is encrypted with a passphrase; provide it without one")
    data = stripped.encode() + b"\n"
    try:
        if "BEGIN OPENSSH PRIVATE KEY" in stripped:
            key = serialization.load_ssh_private_key(data, password=None)
        else:
            key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise InvalidKeyError("the private key is encrypted with a passphrase; provide it without one") from None
    except UnsupportedAlgorithm:
        raise InvalidKeyError("the private key's type is not supported (use ed25519, RSA or ECDSA)") from None
    except ValueError:
        raise InvalidKeyError("the private key could not be read: it is damaged or not a key") from None
    return _material(key, "")


def host_key_fingerprint(key_line: str) -> str:
    """The SHA256 fingerprint of a public key line: `type base64 [comment]`, or a known_hosts
    line `host type base64`."""
    _key_type, blob = split_key_line(key_line)
    return fingerprint_of_blob(blob)


def split_key_line(key_line: str) -> tuple[str, bytes]:
    """(type, decoded key blob) of a public key line, checking that the blob names the same type."""
    parts = (key_line or "").split()
    for index in range(min(len(parts) - 1, 2)):
        if parts[index] in PUBLIC_KEY_TYPES:
            key_type = parts[index]
            try:
                blob = base64.b64decode(parts[index + 1], validate=True)
            except (binascii.Error, ValueError):
                raise InvalidKeyError("the public key line's key data is not valid base64") from None
            name_length = int.from_bytes(blob[:4], "big") if len(blob) >= 4 else -1
            if blob[4 : 4 + name_length].decode("ascii", "replace") != key_type:
                raise InvalidKeyError("the public key line's key data does not match its type")
            return key_type, blob
    raise InvalidKeyError("this is not a public key line (expected e.g. 'ssh-ed25519 AAAA...')")


def fingerprint_of_blob(blob: bytes) -> str:
    digest = hashlib.sha256(blob).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def _material(key: object, comment: str) -> KeyMaterial:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        key_type = "ed25519"
    elif isinstance(key, rsa.RSAPrivateKey):
        key_type = "rsa"
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        if key.curve.name not in {"secp256r1", "secp384r1", "secp521r1"}:
            raise InvalidKeyError("the ECDSA key's curve is not supported (use P-256, P-384 or P-521)")
        key_type = "ecdsa"
    else:
        raise InvalidKeyError("the private key's type is not supported (use ed25519, RSA or ECDSA)")
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    blob = base64.b64decode(public.split()[1])
    line = public.decode() + (f" {comment}" if comment else "")
    return KeyMaterial(private_key=private, public_key=line, fingerprint=fingerprint_of_blob(blob), key_type=key_type)
