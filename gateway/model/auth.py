"""The authorization server's state, kept in the store so that every gateway process agrees:
signing keys, revoked token ids, rate-limit counters, OAuth 1.0a nonces and the encrypted
OAuth 1.0a consumer secrets."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.model.base import Base


class SigningKey(Base):
    """An RSA key that signs access tokens. The newest unretired key signs; a retired key stays
    published (and accepted) until `accept_until`, when the last token it signed has expired."""

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    accept_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class RevokedToken(Base):
    """A revoked access token's `jti`; the row may go once the token would have expired."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class RateCounter(Base):
    """Requests one client made in one fixed window (`window_start`, epoch seconds)."""

    __tablename__ = "rate_counters"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)
    count: Mapped[int] = mapped_column(Integer)


class OAuth1Nonce(Base):
    """A nonce an OAuth 1.0a consumer used; a second request with it is a replay."""

    __tablename__ = "oauth1_nonces"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(255), primary_key=True)
    timestamp: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class OAuth1Secret(Base):
    """An app's consumer secret for OAuth 1.0a, encrypted (AES-GCM) with a key kept outside the
    store: HMAC signatures need the secret itself, which the hashed `apps.secret_hash` cannot
    give back."""

    __tablename__ = "oauth1_secrets"

    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"),
                                        primary_key=True)
    ciphertext: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
