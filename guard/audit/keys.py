"""Ed25519 signing keys for the audit trail: load, create, publish and trust.

The private key is a PEM file (PKCS#8, unencrypted, mode 0600). Its key id (`kid`) is the first
16 hex digits of the SHA-256 of the raw public key. Writers publish their public key next to the
log (`keys/<kid>.pub`) so that old records stay verifiable after a key is rotated; a verifier
that must not trust the log's own directory is given a separate trusted-keys directory instead.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from guard.core.subjects import create_secret_file
from guard.errors import ConfigError

__all__ = [
    "KeyRing",
    "SigningKey",
    "generate_key_file",
    "key_id",
    "load_public_key",
    "load_signing_key",
    "open_signing_key",
    "public_pem",
]


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A private key with its id; signs 32-byte digests."""

    private: Ed25519PrivateKey
    kid: str

    @classmethod
    def from_private(cls, private: Ed25519PrivateKey) -> SigningKey:
        return cls(private=private, kid=key_id(private.public_key()))

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    def sign(self, digest: bytes) -> str:
        return base64.b64encode(self.private.sign(digest)).decode("ascii")


def _write_private(path: Path, private: Ed25519PrivateKey) -> None:
    """Create `path` (0600) holding the key, all at once: a concurrent reader never sees it half-written
    (the key is written to a temporary file first and hard-linked into place, which fails if `path` exists)."""
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    create_secret_file(path, pem)


def generate_key_file(path: Path) -> SigningKey:
    """Write a new private key (0600) and its public key beside it (`<path>.pub`); refuse to overwrite."""
    private = Ed25519PrivateKey.generate()
    try:
        _write_private(path, private)
    except FileExistsError:
        raise ConfigError(
            f"The signing key file {path} already exists.",
            hint="Choose another path, or run `guard audit keygen --rotate` to retire the old key "
            "(its public key stays available to verify old records).",
        ) from None
    except OSError as exc:
        raise ConfigError(f"Cannot write the signing key file {path}: {exc.strerror}.",
                          hint="Check that the directory is writable.") from None
    key = SigningKey.from_private(private)
    pub_path = path.with_name(path.name + ".pub")
    pub_path.write_bytes(public_pem(key.public))
    return key


def load_signing_key(path: Path) -> SigningKey:
    """Read a PEM Ed25519 private key; a missing or unsuitable file is a ConfigError."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"The audit signing key file {path} does not exist.",
            hint="Create one with `guard audit keygen --out FILE`, or unset audit.signing_key_file "
            "to use the default key under data_dir.",
        ) from None
    except OSError as exc:
        raise ConfigError(f"Cannot read the audit signing key file {path}: {exc.strerror}.",
                          hint="Check its permissions.") from None
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise ConfigError(
            f"The audit signing key file {path} is not an unencrypted PEM private key.",
            hint="Create one with `guard audit keygen --out FILE`.",
        ) from None
    if not isinstance(private, Ed25519PrivateKey):
        raise ConfigError(f"The audit signing key in {path} is not an Ed25519 key.",
                          hint="Create one with `guard audit keygen --out FILE`.")
    return SigningKey.from_private(private)


def open_signing_key(path: Path, *, create: bool) -> SigningKey:
    """Load the key; when `create` (the embedded default path) make it on first use."""
    if create and not path.exists():
        try:
            return generate_key_file(path)
        except ConfigError:
            if not path.exists():
                raise
            # another worker created it between our check and our write: use theirs
    return load_signing_key(path)


def load_public_key(data: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


class KeyRing:
    """Public keys by key id, used to check signatures."""

    def __init__(self, keys: dict[str, Ed25519PublicKey] | None = None) -> None:
        self._keys: dict[str, Ed25519PublicKey] = dict(keys or {})

    def add(self, public: Ed25519PublicKey) -> str:
        kid = key_id(public)
        self._keys[kid] = public
        return kid

    def add_pem(self, data: bytes) -> str:
        return self.add(load_public_key(data))

    @classmethod
    def from_dir(cls, directory: Path) -> KeyRing:
        """Every `*.pub` (and `*.pem` public key) in a directory; unreadable files are skipped."""
        ring = cls()
        if directory.is_dir():
            for path in sorted(directory.iterdir()):
                if path.suffix in {".pub", ".pem"}:
                    try:
                        ring.add_pem(path.read_bytes())
                    except (ValueError, OSError):
                        continue
        return ring

    def to_raw(self) -> dict[str, bytes]:
        """The public keys as raw bytes (picklable, for verification in worker processes)."""
        return {kid: key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
                for kid, key in self._keys.items()}

    @classmethod
    def from_raw(cls, raw: dict[str, bytes]) -> KeyRing:
        return cls({kid: Ed25519PublicKey.from_public_bytes(data) for kid, data in raw.items()})

    def __contains__(self, kid: object) -> bool:
        return kid in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def kids(self) -> list[str]:
        return sorted(self._keys)

    def verify(self, kid: str, signature: str, digest: bytes) -> bool:
        public = self._keys.get(kid)
        if public is None:
            return False
        try:
            public.verify(base64.b64decode(signature, validate=True), digest)
        except (InvalidSignature, ValueError):
            return False
        return True
