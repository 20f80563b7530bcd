"""Parameters and bodies a client chooses never cause a 500 (issue 11, section 2, "500s from
parameters"): each case the adversarial probe found answers 400 (413 for size) in the API's
own error format, OneRoster an imsx status body, Ed-Fi problem details. Both databases: the
offsets of 2^63 overflowed SQLite's and PostgreSQL's integers differently."""

from __future__ import annotations

import pytest

from gateway.request_bounds import MAX_BODY_BYTES, MAX_JSON_DEPTH, json_too_deep

OR12 = "/ims/oneroster/rostering/v1p2"
OR11 = "/ims/oneroster/v1p1"
GB12 = "/ims/oneroster/gradebook/v1p2"
EDFI = "/data/v3/ed-fi"
TOO_BIG = 2**63
THOUSANDS_OF_DIGITS = "9" * 5000


def _oneroster_error(reply, status: int = 400) -> None:  # noqa: ANN001
    assert reply.status_code == status, reply.get_data(as_text=True)[:300]
    body = reply.get_json()
    info = body["statusInfoSet"][0] if "statusInfoSet" in body else body
    assert info["imsx_codeMajor"] == "failure"
    assert info["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]


def _problem(reply, status: int = 400) -> None:  # noqa: ANN001
    assert reply.status_code == status, reply.get_data(as_text=True)[:300]
    assert reply.mimetype == "application/problem+json"
    body = reply.get_json()
    assert body["status"] == status and body["type"].startswith("urn:ed-fi:api:")


@pytest.mark.parametrize("query", [
    "filter=dateLastModified>'9999-12-31T23:59:59-23:59'",
    "filter=dateLastModified<'0001-01-01T00:00:00%2B23:59'",
    f"limit={THOUSANDS_OF_DIGITS}0",
    f"offset={THOUSANDS_OF_DIGITS}",
    f"offset={TOO_BIG}",
])
@pytest.mark.parametrize("base", [OR12, OR11])
def test_oneroster_users_refuse_out_of_range_parameters(probe, base: str, query: str) -> None:
    reply = probe.call("GET", f"{base}/users?{query}")
    if query.startswith("limit"):  # an oversize limit is served as the maximum, as documented
        assert reply.status_code == 200
        return
    _oneroster_error(reply)


@pytest.mark.parametrize("query", [
    "filter=dueDate>'9999-12-31T23:59:59-23:59'",
    "filter=dueDate<'0001-01-01T00:00:00%2B23:59'",
])
@pytest.mark.parametrize("path", [f"{GB12}/lineItems", f"{OR11}/lineItems"])
def test_oneroster_due_dates_out_of_range_are_refused(probe, path: str, query: str) -> None:
    _oneroster_error(probe.call("GET", f"{path}?{query}"))


@pytest.mark.parametrize("query", [
    f"offset={TOO_BIG}", f"offset={THOUSANDS_OF_DIGITS}", f"limit={THOUSANDS_OF_DIGITS}",
    f"minChangeVersion={TOO_BIG}", f"maxChangeVersion={TOO_BIG}",
    f"minChangeVersion={THOUSANDS_OF_DIGITS}", "offset=-1", "offset=1_0",
    "pageToken=" + "A" * 5000, "pageToken=" + "W1tb" * 200,
])
@pytest.mark.parametrize("path", ["/students", "/schools", "/students/deletes",
                                  "/sections/keyChanges", "/sexDescriptors"])
def test_edfi_paging_and_change_versions_out_of_range_are_refused(probe, path: str,
                                                                  query: str) -> None:
    _problem(probe.call("GET", f"{EDFI}{path}?{query}"))


def test_a_descriptor_page_token_of_unicode_digits_is_refused(probe) -> None:
    """Descriptor tokens carry a position; '\u00b2' passes str.isdigit() but not int()."""
    _problem(probe.call("GET", f"{EDFI}/sexDescriptors?pageToken=eyJhZnRlciI6ICJcdTAwYjIifQ"))


def test_the_largest_64_bit_change_version_is_still_served(probe) -> None:
    reply = probe.call("GET", f"{EDFI}/students?minChangeVersion={TOO_BIG - 1}")
    assert reply.status_code == 200 and reply.get_json() == []


DEEP_ARRAY = "[" * 200_000 + "]" * 200_000
DEEP_OBJECT = '{"a":' * 200_000 + "1" + "}" * 200_000


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT, "[" * 200_000],
                         ids=["array", "object", "unclosed"])
def test_json_nested_200k_deep_is_a_400_in_each_api(probe, body: str) -> None:
    _problem(probe.call("POST", f"{EDFI}/students", data=body, content_type="application/json"))
    for path in (f"{GB12}/lineItems/li-x", f"{OR11}/results/r-x"):
        _oneroster_error(probe.call("PUT", path, data=body, content_type="application/json"))


def test_a_body_over_the_cap_is_a_413_in_each_api(probe) -> None:
    body = '{"student": "' + "x" * MAX_BODY_BYTES + '"}'
    _problem(probe.call("POST", f"{EDFI}/students", data=body,
                         content_type="application/json"), 413)
    _oneroster_error(probe.call("PUT", f"{GB12}/lineItems/li-x", data=body,
                                 content_type="application/json"), 413)


def test_a_json_token_request_nested_deep_is_an_oauth_error_not_a_500(probe) -> None:
    reply = probe.client.post("/oauth/token", data="[" * 60_000,
                               content_type="application/json")
    assert reply.status_code in (400, 401)
    assert "error" in reply.get_json()


def test_the_depth_bound_is_exact_and_ignores_brackets_inside_strings() -> None:
    at_bound = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert not json_too_deep(at_bound.encode())
    assert json_too_deep(("{\"a\":" + at_bound + "}").encode())
    assert not json_too_deep(('["' + "[" * 100 + '\\"[", {"b": "{{{{"}]').encode())


@pytest.mark.parametrize("path", [
    f"{OR12}/users?filter=givenName='a%00b'", f"{OR12}/users?filter=sourcedId~'%00'",
    f"{OR12}/users/a%00b", f"{OR11}/classes?sort=title&filter=title>'%00'",
    f"{GB12}/results/r%00", f"{EDFI}/students?firstName=a%00b", f"{EDFI}/students/a%00b",
    f"{EDFI}/students?pageToken=eyJhZnRlciI6ICJcdTAwMDAifQ",  # {"after": "\u0000"}
    f"{EDFI}/sexDescriptors?codeValue=%00",
])
def test_a_nul_in_a_path_or_parameter_is_a_400_on_both_databases(probe, path: str) -> None:
    """PostgreSQL text cannot hold a NUL: such a value reaching a query was a 500 there."""
    reply = probe.call("GET", path)
    if path.startswith(EDFI):
        _problem(reply)
    else:
        _oneroster_error(reply)
