"""Oversized requests to the OAuth endpoints are refused with 413 in RFC 6749 error JSON,
before their forms are parsed."""

from __future__ import annotations

import pytest

from gateway.auth.request_limits import OAUTH_MAX_BYTES

PATHS = ["/oauth/token", "/oauth/introspect", "/oauth/revoke"]


@pytest.mark.parametrize("path", PATHS)
def test_a_ten_megabyte_form_gets_413_in_oauth_error_json(client, path):
    body = "grant_type=client_credentials&pad=" + "a" * (10 * 1024 * 1024)
    response = client.post(path, data=body,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert response.json["error"] == "invalid_request"
    assert str(OAUTH_MAX_BYTES) in response.json["error_description"]


@pytest.mark.parametrize("path", PATHS)
def test_a_form_of_many_small_fields_gets_413_in_oauth_error_json(client, path):
    body = "&".join(f"f{i}=1" for i in range(5000))
    assert len(body) < OAUTH_MAX_BYTES
    response = client.post(path, data=body,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert response.json["error"] == "invalid_request"
