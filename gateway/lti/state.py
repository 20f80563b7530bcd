"""What the LTI broker holds per app object: its secrets (read once) and the tool key cache."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app

from gateway.extensions import write_engine
from gateway.lti.signing import PAIRWISE, TOKENS, Secrets
from gateway.lti.tool_keys import ToolKeys

LAUNCH_LINK_LIFETIME = 3600  # a launch link minted for a portal or a message
LOGIN_LIFETIME = 300  # from login initiation to the tool's authentication request
ID_TOKEN_LIFETIME = 300
SERVICE_TOKEN_LIFETIME = 3600
LEEWAY = 30


@dataclass
class LtiState:
    secrets: Secrets = field(default_factory=Secrets)
    tool_keys: ToolKeys = field(default_factory=ToolKeys)

    def pairwise_key(self) -> bytes:
        return self.secrets.get(write_engine(), PAIRWISE)

    def token_key(self) -> bytes:
        return self.secrets.get(write_engine(), TOKENS)


def lti_state() -> LtiState:
    return current_app.extensions["gateway.lti"]
