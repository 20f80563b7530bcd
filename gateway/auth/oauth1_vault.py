"""Reversible storage for OAuth 1.0a consumer secrets.

OAuth 1.0a HMAC signatures are keyed with the consumer secret itself, so the server must be able
to recover it; the scrypt hash kept for OAuth 2 cannot give it back. Rather than weaken every
app's storage, only apps registered with `--oauth1` get a second copy of their secret, encrypted
with AES-GCM under a key file kept outside the store (default `var_dir/oauth1.key`, mode 0600).
A copy of the database alone therefore reveals no secret; the key file must be copied to every
gateway node. The client id is bound into each ciphertext as associated data, so a ciphertext
moved to another app's row does not decrypt.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gateway.config import Settings

_PREFIX = "v1:"


class VaultError(RuntimeError):
    """The key file is missing, unreadable or not the key that encrypted a secret."""


def vault_path(settings: Settings) -> Path:
    return settings.oauth1_key_file or settings.var_dir / "oauth1.key"


class OAuth1Vault:
    def __init__(self, key_path: Path) -> None:
        self.key_path = key_path
        self._aead: AESGCM | None = None

    def _cipher(self, create: bool) -> AESGCM:
        if self._aead is None:
            if not self.key_path.exists():
                if not create:
                    raise VaultError(f"{self.key_path}: OAuth 1.0a key file is missing")
                self._write_new_key()
            try:
                key = bytes.fromhex(self.key_path.read_text(encoding="ascii").strip())
            except (OSError, ValueError) as exc:
                raise VaultError(
                    f"{self.key_path}: unreadable OAuth 1.0a key file ({exc})") from None
            if len(key) != 32:
                raise VaultError(f"{self.key_path}: the key must be 32 bytes written as hex")
            self._aead = AESGCM(key)
        return self._aead

    def _write_new_key(self) -> None:
        """Exclusive create, so two processes starting together cannot write different keys."""
        self.key_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_bytes(32).hex() + "\n")

    def encrypt(self, client_id: str, secret: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = self._cipher(create=True).encrypt(nonce, secret.encode("utf-8"),
                                                   client_id.encode("utf-8"))
        return _PREFIX + base64.b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, client_id: str, blob: str) -> str:
        if not blob.startswith(_PREFIX):
            raise VaultError(f"OAuth 1.0a secret of {client_id!r}: unknown format")
        raw = base64.b64decode(blob[len(_PREFIX):])
        try:
            plain = self._cipher(create=False).decrypt(raw[:12], raw[12:],
                                                       client_id.encode("utf-8"))
        except InvalidTag:
            raise VaultError(
                f"OAuth 1.0a secret of {client_id!r} does not decrypt with {self.key_path}"
            ) from None
        return plain.decode("utf-8")
