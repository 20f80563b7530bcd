"""Ed-Fi reads through the real app: discovery, every resource against the OpenAPI document,
paging, ids and ETags, query by example, and the policy layer (scopes, schools, opt-outs,
profiles, disclosures)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from adapters.edfi_mapping.resources import RESOURCES
from gateway.model import DisclosedStudent, Disclosure
from gateway.policy.optouts import add_optout
from tests.disclosure_log import settle
from tests.edfi.conftest import conforms


def test_the_root_answers_discovery_to_json_clients_and_the_page_to_browsers(edfi):
    doc = edfi.client.get("/", headers={"Accept": "application/json"}).get_json()
    assert doc["dataModels"][0]["name"] == "Ed-Fi"
    assert doc["urls"]["dataManagementApi"].startswith("http://")
    page = edfi.client.get("/", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.mimetype == "text/html"


def test_metadata_serves_the_openapi_document_and_the_dependency_order(edfi):
    index = edfi.client.get("/metadata").get_json()
    spec = edfi.client.get(index[0]["endpointUri"]).get_json()
    assert spec["openapi"].startswith("3.") and "/ed-fi/students" in spec["paths"]
    order = {d["resource"]: d["order"] for d in
             edfi.client.get("/metadata/data/v3/dependencies").get_json()}
    assert order["/ed-fi/schools"] < order["/ed-fi/studentSchoolAssociations"]


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_every_resource_lists_items_that_match_the_openapi_document(edfi, resource):
    call = edfi.as_app()
    reply = call.get(f"/ed-fi/{resource}?limit=500")
    items = conforms("GET", f"/ed-fi/{resource}", reply)
    assert reply.status_code == 200 and items, resource
    one = call.get(f"/ed-fi/{resource}/{items[0]['id']}")
    assert conforms("GET", f"/ed-fi/{resource}/{items[0]['id']}", one) == items[0]


def test_a_district_of_ten_students_pages_by_offset_and_by_cursor_without_repeats(edfi):
    call = edfi.as_app()
    first = call.get("/ed-fi/students?limit=4&totalCount=true")
    assert first.headers["Total-Count"] == "10"
    by_offset = [s["id"] for n in range(0, 12, 4)
                 for s in call.get(f"/ed-fi/students?limit=4&offset={n}").get_json()]
    by_cursor, token = [], None
    while True:
        query = "pageSize=3" + (f"&pageToken={token}" if token else "")
        reply = call.get(f"/ed-fi/students?{query}")
        by_cursor += [s["id"] for s in reply.get_json()]
        token = reply.headers.get("Next-Page-Token")
        if not token:
            break
    assert len(set(by_offset)) == 10 and by_offset == by_cursor


@pytest.mark.parametrize("query", ["limit=501", "limit=-1", "offset=x", "totalCount=maybe",
                                   "limit=2&pageSize=2", "pageToken=garbage!"])
def test_bad_paging_parameters_answer_a_bad_request_problem(edfi, query):
    reply = edfi.as_app().get(f"/ed-fi/students?{query}")
    body = conforms("GET", "/ed-fi/students", reply)
    assert reply.status_code == 400 and body["type"] == "urn:ed-fi:api:bad-request"
    assert body["correlationId"]


def test_query_by_example_returns_only_matching_items(edfi):
    call = edfi.as_app()
    alder = call.get("/ed-fi/schools?nameOfInstitution=Alder High").get_json()
    assert [s["nameOfInstitution"] for s in alder] == ["Alder High"]
    enrolled = call.get(f"/ed-fi/studentSchoolAssociations?schoolId={alder[0]['schoolId']}")
    assert len(enrolled.get_json()) == 5
    assert call.get("/ed-fi/students?studentUniqueId=stu-a1").get_json()[0]["firstName"] == "Ana"
    refused = call.get("/ed-fi/students?favouriteColour=blue")
    assert refused.status_code == 400 and "favouriteColour" in refused.get_json()["detail"]


def test_get_by_id_carries_an_etag_and_honours_if_none_match(edfi):
    call = edfi.as_app()
    school = call.get("/ed-fi/schools?limit=1").get_json()[0]
    reply = call.get(f"/ed-fi/schools/{school['id']}")
    assert reply.headers["ETag"] == f'"{school["_etag"]}"'
    again = call.get(f"/ed-fi/schools/{school['id']}", headers={"If-None-Match": reply.headers[
        "ETag"]})
    assert again.status_code == 304


def test_an_unknown_id_is_a_not_found_problem(edfi):
    reply = edfi.as_app().get("/ed-fi/students/" + "0" * 32)
    assert reply.status_code == 404
    assert reply.get_json()["type"] == "urn:ed-fi:api:not-found"


def test_no_token_is_an_authentication_problem_and_no_edfi_scope_is_forbidden(edfi):
    anonymous = edfi.client.get("/data/v3/ed-fi/students")
    assert anonymous.status_code == 401
    assert anonymous.get_json()["type"] == "urn:ed-fi:api:security:authentication"
    oneroster_only = edfi.as_app(scopes=("roster.readonly",)).get("/ed-fi/students")
    assert oneroster_only.status_code == 403
    assert oneroster_only.get_json()["type"] == "urn:ed-fi:api:security:authorization"


def test_a_school_limited_app_sees_only_that_schools_students_and_no_opted_out_one(edfi):
    call = edfi.as_app(schools=["sch-a"], name="alder only")
    ids = {s["studentUniqueId"] for s in call.get("/ed-fi/students?limit=100").get_json()}
    assert ids == {f"stu-a{n}" for n in range(1, 6)}
    add_optout(edfi.engine, "stu-a1", None)
    after = call.get("/ed-fi/studentSectionAssociations?limit=100").get_json()
    assert {a["studentReference"]["studentUniqueId"] for a in after} == {
        f"stu-a{n}" for n in range(2, 6)}
    hidden = edfi.as_app().get("/ed-fi/students?studentUniqueId=stu-a1").get_json()
    assert hidden == []


def test_an_agreement_without_birth_dates_is_a_profile_that_hides_them(edfi):
    call = edfi.as_app(sensitive=[], name="Reading Coach")
    reply = call.get("/ed-fi/students?limit=3")
    students = conforms("GET", "/ed-fi/students", reply)
    assert all("birthDate" not in s and "studentUniqueId" in s for s in students)
    assert reply.mimetype == "application/vnd.ed-fi.students.reading-coach.readable+json"
    asked = call.get("/ed-fi/students", headers={
        "Accept": "application/vnd.ed-fi.students.reading-coach.readable+json"})
    assert asked.status_code == 200
    other = call.get("/ed-fi/students", headers={
        "Accept": "application/vnd.ed-fi.students.someone-else.readable+json"})
    assert other.status_code == 403
    assert other.get_json()["type"] == "urn:ed-fi:api:security:data-policy:incorrect-usage"


def test_reading_students_is_written_to_the_disclosure_log(edfi):
    edfi.as_app().get("/ed-fi/students?studentUniqueId=stu-b2")
    settle(edfi.app)
    with edfi.engine.connect() as conn:
        disclosed = conn.execute(select(DisclosedStudent.__table__.c.student_id)).scalars().all()
        fields = conn.execute(select(Disclosure.__table__.c.fields)).scalars().all()
    assert disclosed == ["stu-b2"]
    assert "demographics.birthDate" in str(fields[-1])


def test_change_versions_bound_collections_and_the_window_above_is_empty(edfi):
    call = edfi.as_app()
    newest = call.get("/changeQueries/v1/availableChangeVersions").get_json()[
        "newestChangeVersion"]
    assert call.get(f"/ed-fi/students?minChangeVersion={newest + 1}").get_json() == []
    assert len(call.get(f"/ed-fi/students?maxChangeVersion={newest}").get_json()) == 10


def test_query_by_example_on_a_property_the_profile_hides_answers_as_an_unknown_property(edfi):
    call = edfi.as_app(fields={"users": ["givenName"]})
    assert "lastSurname" not in call.get("/ed-fi/students?limit=1").get_json()[0]
    hidden = call.get("/ed-fi/students?lastSurname=Pupila")
    matches_nothing = call.get("/ed-fi/students?lastSurname=Nobody")
    unknown = call.get("/ed-fi/students?favouriteColour=Pupila")
    assert hidden.status_code == matches_nothing.status_code == unknown.status_code == 400
    assert hidden.get_json()["type"] == unknown.get_json()["type"] == "urn:ed-fi:api:bad-request"
    assert hidden.get_json()["detail"] == matches_nothing.get_json()["detail"] == \
        unknown.get_json()["detail"].replace("favouriteColour", "lastSurname")
    assert call.get("/ed-fi/students?firstName=Ana").status_code == 200  # a shown property
