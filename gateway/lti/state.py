"""What the LTI broker holds per app object: its secrets (read once) and the key caches of the
tools and LMSs it talks to."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app

from gateway.extensions import write_engine
from gateway.lti.score_forwarder import ScoreForwarder
from gateway.lti.signing import PAIRWISE, TOKENS, Secrets
from gateway.lti.tool_keys import ToolKeys

LAUNCH_LINK_LIFETIME = 3600  # a launch link minted for a portal or a message
LOGIN_LIFETIME = 300  # from login initiation to the tool's authentication request
ID_TOKEN_LIFETIME = 300
SERVICE_TOKEN_LIFETIME = 3600
LEEWAY = 30  # seconds of clock difference tolerated on a peer's exp and iat
LMS_TOKEN_MAX_AGE = 600  # an LMS id_token issued longer ago than this is refused


@dataclass
class LtiState:
    secrets: Secrets = field(default_factory=Secrets)
    tool_keys: ToolKeys = field(default_factory=ToolKeys)
    lms_keys: ToolKeys = field(default_factory=lambda: ToolKeys("LMS"))
    _forwarder: ScoreForwarder | None = None

    def forwarder(self) -> ScoreForwarder:
        """The app's score forwarder (made on first use, bound to the current app)."""
        if self._forwarder is None:
            self._forwarder = ScoreForwarder(current_app._get_current_object())
        return self._forwarder

    def close(self) -> None:
        if self._forwarder is not None:
            self._forwarder.close()

    def pairwise_key(self) -> bytes:
        return self.secrets.get(write_engine(), PAIRWISE)

    def token_key(self) -> bytes:
        return self.secrets.get(write_engine(), TOKENS)


def lti_state() -> LtiState:
    return current_app.extensions["gateway.lti"]
