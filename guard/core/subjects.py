"""Keyed hashing of subject ids: the only form in which a person's id is ever stored."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from guard.errors import ConfigError

__all__ = ["SubjectHasher", "create_secret_file", "load_or_create_key"]


def create_secret_file(path: Path, data: bytes) -> None:
    """Create `path` (mode 0600) holding `data`, complete or not at all; FileExistsError if it exists.

    The data goes to a private temporary file that is then hard-linked into place, so a process
    starting at the same moment never reads a half-written key.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def load_or_create_key(path: Path, *, size: int = 32) -> bytes:
    """Read a raw secret key file, creating it (mode 0600) with random bytes on first use."""
    try:
        if path.exists():
            key = path.read_bytes()
            if len(key) < 16:
                raise ConfigError(f"The key file {path} is too short ({len(key)} bytes).",
                                  hint="Delete it to have a new one made, or give a 32-byte key.")
            return key
        key = secrets.token_bytes(size)
        create_secret_file(path, key)
        return key
    except FileExistsError:  # another worker linked its key first: use that one
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"Cannot read or create the key file {path}: {exc.strerror}.",
                          hint="Check the directory exists and is writable, or set the key file path.") from None


class SubjectHasher:
    """HMAC-SHA256 of tenant and subject id, hex; stable across workers that share the key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self, tenant: str, subject: str) -> str:
        message = f"{tenant}\x00{subject}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()
