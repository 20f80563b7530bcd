"""The LTI wire formats in specs/lti/ refuse what the standards refuse, so that the tests
validating our launches and service responses against them can fail."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError

from tests.lti.spec_check import validator

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
GOOD = {
    "iss": "https://gateway.example", "aud": "tool", "sub": "abc", "exp": 2, "iat": 1,
    "nonce": "n", LTI + "message_type": "LtiResourceLinkRequest", LTI + "version": "1.3.0",
    LTI + "deployment_id": "d1", LTI + "target_link_uri": "https://tool.example/launch",
    LTI + "resource_link": {"id": "r1"}, LTI + "roles": [],
}


def test_a_minimal_launch_is_valid():
    validator("id_token").validate(GOOD)


@pytest.mark.parametrize("change", [
    {"sub": 7},  # PyJWT (and so pylti1p3) refuses a numeric sub
    {LTI + "version": "1.3"},
    {LTI + "resource_link": {"title": "no id"}},
    {"iss": "https://gateway.example/?tenant=1"},  # an issuer has no query
    {LTI + "deployment_id": " d1"},  # no surrounding whitespace
    {LTI + "roles": None},
])
def test_a_launch_breaking_a_rule_is_invalid(change):
    with pytest.raises(ValidationError):
        validator("id_token").validate({**GOOD, **change})
    missing = dict(GOOD)
    del missing[LTI + "roles"]
    with pytest.raises(ValidationError):
        validator("id_token").validate(missing)


def test_service_bodies_need_their_required_members():
    with pytest.raises(ValidationError):
        validator("nrps-membership-container").validate(
            {"id": "https://x.example", "context": {"id": "c"}, "members": [{"roles": []}]})
    with pytest.raises(ValidationError):
        validator("ags-lineitem").validate({"id": "https://x.example/l/1", "label": " ",
                                            "scoreMaximum": 1})
    with pytest.raises(ValidationError):
        validator("ags-lineitem").validate({"id": "https://x.example/l/1", "label": "Q",
                                            "scoreMaximum": 0})
    with pytest.raises(ValidationError):
        validator("ags-result-container").validate([{"id": "https://x.example/r",
                                                     "scoreOf": "https://x.example/l"}])
