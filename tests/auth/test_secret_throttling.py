"""Client-secret checks are throttled the same way on /oauth/token, /oauth/introspect and
/oauth/revoke: wrong secrets per (source address, client), a per-second budget of secret
checks for the whole store, and the per-app token budget counted only after authentication."""

from __future__ import annotations

import time

import pytest

from gateway.auth.rate_limit import WINDOW
from tests.auth.helpers import basic

TOKEN = "/oauth/token"
GRANT = {"grant_type": "client_credentials"}
ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}
VICTIM = {"REMOTE_ADDR": "198.51.100.7"}
SECRET_PATHS = {TOKEN: GRANT, "/oauth/introspect": {"token": "x"},
                "/oauth/revoke": {"token": "x"}}


@pytest.fixture
def steady_window() -> None:
    """Counts are per fixed minute: start clear of a window's end."""
    left = WINDOW - time.time() % WINDOW
    if left < 5:
        time.sleep(left + 0.1)


@pytest.mark.usefixtures("steady_window")
def test_wrong_secrets_from_one_address_do_not_lock_the_app_out_elsewhere(make_node, register):
    creds = register()
    node = make_node(token_rate_limit=5, secret_failure_limit=3).test_client()
    statuses = [node.post(TOKEN, data=GRANT, headers=basic(creds.client_id, "guess"),
                          environ_base=ATTACKER).status_code for _ in range(10)]
    assert statuses == [401] * 3 + [429] * 7
    victim = node.post(TOKEN, data=GRANT, headers=basic(*creds), environ_base=VICTIM)
    assert victim.status_code == 200, victim.json


@pytest.mark.usefixtures("steady_window")
@pytest.mark.parametrize("path", list(SECRET_PATHS))
def test_wrong_secrets_are_throttled_per_address_and_client_on_every_endpoint(
        make_node, register, path):
    creds = register()
    node = make_node(secret_failure_limit=2).test_client()
    form = SECRET_PATHS[path]
    for _ in range(2):
        assert node.post(path, data=form, headers=basic(creds.client_id, "guess"),
                         environ_base=ATTACKER).status_code == 401
    throttled = node.post(path, data=form, headers=basic(creds.client_id, "guess"),
                          environ_base=ATTACKER)
    assert throttled.status_code == 429
    assert throttled.json["error"] == "too_many_requests"
    assert 1 <= int(throttled.headers["Retry-After"]) <= WINDOW
    # the right secret from the throttled address is refused too: no secret is checked there
    assert node.post(path, data=form, headers=basic(*creds),
                     environ_base=ATTACKER).status_code == 429
    assert node.post(path, data=form, headers=basic(*creds),
                     environ_base=VICTIM).status_code == 200


@pytest.mark.usefixtures("steady_window")
def test_the_failure_count_is_shared_by_every_gateway_process(make_node, register):
    creds = register()
    first, second = (make_node(secret_failure_limit=2).test_client() for _ in range(2))
    for node in (first, second):
        assert node.post(TOKEN, data=GRANT, headers=basic(creds.client_id, "guess"),
                         environ_base=ATTACKER).status_code == 401
    assert first.post(TOKEN, data=GRANT, headers=basic(creds.client_id, "guess"),
                      environ_base=ATTACKER).status_code == 429


@pytest.mark.usefixtures("steady_window")
def test_secret_checks_beyond_the_per_second_budget_get_503_with_retry_after(
        make_node, register):
    creds = register()
    first, second = (make_node(secret_checks_per_second=2).test_client() for _ in range(2))
    for _attempt in range(3):  # a busy machine may spread three checks over two seconds
        time.sleep(1 - time.time() % 1 + 0.01)
        began = int(time.time())
        within = [first.post(TOKEN, data=GRANT, headers=basic(*creds)).status_code,
                  second.post("/oauth/introspect", data={"token": "x"},
                              headers=basic(*creds)).status_code]
        over = first.post("/oauth/revoke", data={"token": "x"}, headers=basic(*creds))
        if int(time.time()) == began:
            break
    else:
        pytest.fail("three secret checks never fitted in one second on this machine")
    assert within == [200, 200]
    assert over.status_code == 503
    assert over.json["error"] == "temporarily_unavailable"
    assert over.headers["Retry-After"] == "1"
    time.sleep(1.05)
    assert first.post(TOKEN, data=GRANT, headers=basic(*creds)).status_code == 200
