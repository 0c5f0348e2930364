"""Key generation and parsing, checked against OpenSSH's own ssh-keygen."""

from __future__ import annotations

import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from apps.integrations.ssh import InvalidKeyError, generate_ed25519, host_key_fingerprint, parse_private_key


def ssh_keygen_fingerprint(path) -> str:
    listed = subprocess.run(["ssh-keygen", "-lf", str(path)], check=True, capture_output=True, text=True)
    return listed.stdout.split()[1]


def make_key(tmp_path, key_type: str, *extra: str, passphrase: str = ""):
    path = tmp_path / f"id_{key_type}_{len(list(tmp_path.iterdir()))}"
    subprocess.run(["ssh-keygen", "-q", "-t", key_type, "-N", passphrase, *extra, "-f", str(path)], check=True)
    return path


def test_a_generated_key_round_trips_and_ssh_keygen_agrees_on_its_fingerprint(tmp_path):
    key = generate_ed25519("ops@fleet")
    parsed = parse_private_key(key.private_key)

    assert key.key_type == parsed.key_type == "ed25519"
    assert key.public_key.startswith("ssh-ed25519 AAAA")
    assert key.public_key.endswith(" ops@fleet")
    assert parsed.fingerprint == key.fingerprint
    assert key.private_key.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert "PRIVATE" not in repr(key)
    (tmp_path / "key.pub").write_text(key.public_key + "\n")
    assert ssh_keygen_fingerprint(tmp_path / "key.pub") == key.fingerprint
    assert host_key_fingerprint(key.public_key) == key.fingerprint


@pytest.mark.parametrize(
    ("key_type", "extra", "expected"),
    [
        ("ed25519", (), "ed25519"),
        ("rsa", ("-b", "2048"), "rsa"),
        ("rsa", ("-b", "2048", "-m", "PEM"), "rsa"),
        ("ecdsa", (), "ecdsa"),
        ("ecdsa", ("-m", "PEM"), "ecdsa"),
        ("ecdsa", ("-m", "PKCS8"), "ecdsa"),
    ],
)
def test_openssh_and_pem_private_keys_parse_with_ssh_keygens_fingerprint(tmp_path, key_type, extra, expected):
    path = make_key(tmp_path, key_type, *extra)
    parsed = parse_private_key(path.read_text())

    assert parsed.key_type == expected
    assert parsed.fingerprint == ssh_keygen_fingerprint(path.with_suffix(".pub"))
    assert parsed.public_key.split()[:2] == path.with_suffix(".pub").read_text().split()[:2]


def encrypted_pkcs8() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
    ).decode()


@pytest.mark.parametrize(
    ("make_text", "reason"),
    [
        (lambda tmp: "not a key at all", "not a private key"),
        (lambda tmp: "", "empty"),
        (lambda tmp: make_key(tmp, "ed25519").with_suffix(".pub").read_text(), "public key"),
        (lambda tmp: make_key(tmp, "ed25519", passphrase="secret").read_text(), "encrypted"),
        (lambda tmp: make_key(tmp, "rsa", "-m", "PEM", passphrase="secret").read_text(), "encrypted"),
        (lambda tmp: encrypted_pkcs8(), "encrypted"),
        (lambda tmp: make_key(tmp, "ed25519").read_text().replace("A", "B", 40), "could not be read"),
    ],
    ids=["garbage", "empty", "public-as-private", "encrypted-openssh", "encrypted-pem", "encrypted-pkcs8", "damaged"],
)
def test_unusable_key_text_is_refused_without_echoing_it(tmp_path, make_text, reason):
    text = make_text(tmp_path)
    with pytest.raises(InvalidKeyError, match=reason) as raised:
        parse_private_key(text)

    body_lines = [line for line in text.splitlines() if len(line) > 20]
    assert not any(line in str(raised.value) for line in body_lines)


def test_a_host_key_line_fingerprint_matches_ssh_keygen(sshd, tmp_path):
    (tmp_path / "host.pub").write_text(sshd.host_key_line + "\n")

    assert host_key_fingerprint(sshd.host_key_line) == ssh_keygen_fingerprint(tmp_path / "host.pub")
    assert host_key_fingerprint(f"[{sshd.host}]:{sshd.port} {sshd.host_key_line}") == host_key_fingerprint(
        sshd.host_key_line
    )
    with pytest.raises(InvalidKeyError):
        host_key_fingerprint("ssh-ed25519 not-base64!")
