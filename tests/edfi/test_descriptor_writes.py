"""Writable Ed-Fi descriptors: a SIS posts its district's values first, reads them merged with
the crosswalk's, and names them in later bodies. Every reply is checked against the OpenAPI
document (bodies by schema, empty replies by their declared status)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from adapters.edfi_mapping.descriptors import crosswalk
from gateway.model import ROSTER_TABLES
from gateway.policy.agreement import AgreementError, parse_agreement
from tests.edfi.bodies import SCHOOL, STUDENT
from tests.edfi.conftest import DATA, SPEC, conforms

WRITER = ("edfi.readonly", "edfi.write")
GRADES = "/ed-fi/gradeLevelDescriptors"
NAMESPACE = "uri://district.example/GradeLevelDescriptor"
DISTRICT_NS = ["uri://district.example"]  # the agreement key descriptor_namespaces
THIRTEENTH = {"namespace": NAMESPACE, "codeValue": "Thirteen", "shortDescription": "13th",
              "description": "A thirteenth year of secondary school",
              "effectiveBeginDate": "2026-07-01"}


def documented(method: str, path: str, reply) -> Any:  # noqa: ANN001
    """`conforms` for replies with a body; an empty reply's status must be one the operation
    declares."""
    if reply.data:
        return conforms(method, path, reply)
    full = DATA + path[len("/ed-fi"):] if path.startswith("/ed-fi") else path
    operation = SPEC.find_operation(method, full.split("?")[0])
    assert operation is not None, f"{method} {path} is not documented"
    assert str(reply.status_code) in operation.definition["responses"], reply.status_code
    return None


def _path(location: str) -> str:
    return urlsplit(location).path


def _stored(edfi) -> int:  # noqa: ANN001
    table = ROSTER_TABLES["descriptors"]
    with edfi.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def _newest(call) -> int:  # noqa: ANN001
    """(The change-queries API is not in the resources' OpenAPI document.)"""
    reply = call.get("/changeQueries/v1/availableChangeVersions")
    assert reply.status_code == 200
    return reply.get_json()["newestChangeVersion"]


def _post(call, body: dict[str, Any], path: str = GRADES):  # noqa: ANN001, ANN202
    reply = call("POST", path, json=body)
    documented("POST", path, reply)
    return reply


def test_a_district_value_round_trips_post_read_upsert_put_delete_and_deletes(edfi):
    call = edfi.as_app(scopes=WRITER, descriptor_namespaces=DISTRICT_NS)
    before = _newest(call)
    created = _post(call, THIRTEENTH)
    assert created.status_code == 201
    item = _path(created.headers["Location"])
    read = call.get(item)
    body = documented("GET", item, read)
    assert {k: body[k] for k in THIRTEENTH} == THIRTEENTH
    assert read.headers["ETag"] == created.headers["ETag"]
    not_modified = call.get(item, headers={"If-None-Match": read.headers["ETag"]})
    assert not_modified.status_code == 304
    documented("GET", item, not_modified)

    again = _post(call, {**THIRTEENTH, "codeValue": "THIRTEEN", "shortDescription": "Yr 13"})
    assert again.status_code == 200
    assert again.headers["Location"] == created.headers["Location"]
    stale = call("PUT", item, json={**THIRTEENTH, "id": body["id"]},
                 headers={"If-Match": read.headers["ETag"]})
    assert documented("PUT", item, stale)["type"] == "urn:ed-fi:api:optimistic-lock-failed"
    assert stale.status_code == 412
    fresh = call("PUT", item, json={**THIRTEENTH, "shortDescription": "Replaced"},
                 headers={"If-Match": again.headers["ETag"]})
    documented("PUT", item, fresh)
    assert fresh.status_code == 204
    replaced = documented("GET", item, call.get(item))
    assert replaced["shortDescription"] == "Replaced"
    assert replaced["codeValue"] == "Thirteen"

    deleted = call("DELETE", item)
    documented("DELETE", item, deleted)
    assert deleted.status_code == 204
    gone = call.get(item)
    assert documented("GET", item, gone)["type"] == "urn:ed-fi:api:not-found"
    deletes_path = f"{GRADES}/deletes?minChangeVersion={before + 1}"
    deletes = documented("GET", deletes_path, call.get(deletes_path))
    assert deletes == [{"id": body["id"], "changeVersion": deletes[0]["changeVersion"],
                        "keyValues": {"namespace": NAMESPACE, "codeValue": "Thirteen"}}]
    listed = documented("GET", GRADES, call.get(f"{GRADES}?codeValue=Thirteen"))
    assert listed == []


def test_a_crosswalk_value_is_the_same_item_and_cannot_be_replaced_or_deleted(edfi):
    call = edfi.as_app(scopes=WRITER, descriptor_namespaces=DISTRICT_NS)
    path = f"{GRADES}?codeValue=First grade"
    (first,) = documented("GET", GRADES, call.get(path))
    item = f"{GRADES}/{first['id']}"
    for method in ("PUT", "DELETE"):
        refused = call(method, item, json={**first, "shortDescription": "1st"})
        problem = documented(method, item, refused)
        assert refused.status_code == 405
        assert "crosswalk" in problem["detail"]
    refused = call("POST", GRADES, json={"namespace": "URI://ED-FI.ORG/GradeLevelDescriptor",
                                         "codeValue": "first GRADE",
                                         "shortDescription": "Grade 1"})
    assert refused.status_code == 403
    assert "read-only" in documented("POST", GRADES, refused)["detail"]
    shown = documented("GET", item, call.get(item))
    assert shown["shortDescription"] == first["shortDescription"]


def test_an_app_cannot_add_or_rewrite_values_in_the_official_ed_fi_namespace(edfi):
    call = edfi.as_app(scopes=WRITER, descriptor_namespaces=DISTRICT_NS)
    path = "/ed-fi/sexDescriptors"
    before = documented("GET", path, call.get(path))
    for code in ("Female", "Brand new"):
        refused = call("POST", path, json={"namespace": "uri://ed-fi.org/SexDescriptor",
                                           "codeValue": code, "shortDescription": "rewritten"})
        problem = documented("POST", path, refused)
        assert refused.status_code == 403
        assert problem["type"] == "urn:ed-fi:api:security:authorization"
    assert documented("GET", path, call.get(path)) == before


def test_the_collection_merges_both_kinds_with_honest_paging_and_change_windows(edfi):
    call = edfi.as_app(scopes=WRITER, descriptor_namespaces=DISTRICT_NS)
    before = _newest(call)
    for code in ("Alpha", "Beta", "Gamma"):
        assert _post(call, {"namespace": NAMESPACE, "codeValue": code,
                            "shortDescription": code}).status_code == 201
    expected = len(crosswalk().values["GradeLevelDescriptor"]) + 3
    first = call.get(f"{GRADES}?limit=10&totalCount=true")
    documented("GET", GRADES, first)
    assert first.headers["Total-Count"] == str(expected)
    ids = []
    for offset in range(0, expected, 10):
        ids += [o["id"] for o in documented("GET", GRADES,
                                            call.get(f"{GRADES}?limit=10&offset={offset}"))]
    assert len(ids) == len(set(ids)) == expected
    walked, query = [], f"{GRADES}?pageSize=10"
    while query:
        page = call.get(query)
        walked += [o["id"] for o in documented("GET", GRADES, page)]
        token = page.headers.get("Next-Page-Token")
        query = f"{GRADES}?pageSize=10&pageToken={token}" if token else ""
    assert walked == ids
    window = documented("GET", GRADES, call.get(f"{GRADES}?minChangeVersion={before + 1}"))
    assert sorted(o["codeValue"] for o in window) == ["Alpha", "Beta", "Gamma"]
    by_namespace = call.get(f"{GRADES}?namespace={NAMESPACE.upper()}&totalCount=true")
    assert len(documented("GET", GRADES, by_namespace)) == 3
    assert by_namespace.headers["Total-Count"] == "3"
    unknown = call.get(f"{GRADES}?colour=blue")
    assert documented("GET", GRADES, unknown)["type"] == "urn:ed-fi:api:bad-request"


def _enrolment(grade: str) -> dict[str, Any]:
    return {"studentReference": {"studentUniqueId": "604822"},
            "schoolReference": {"schoolId": 255901107}, "entryDate": "2026-08-20",
            "entryGradeLevelDescriptor": grade}


def test_a_posted_district_value_is_usable_in_a_later_association(edfi):
    call = edfi.as_app(scopes=WRITER, descriptor_namespaces=DISTRICT_NS)
    for resource, body in (("schools", SCHOOL), ("students", STUDENT)):
        assert call("POST", f"/ed-fi/{resource}", json=body).status_code == 201
    associations = "/ed-fi/studentSchoolAssociations"
    district_first = f"{NAMESPACE}#First grade"
    unknown = call("POST", associations, json=_enrolment(district_first))
    assert unknown.status_code == 400
    assert "$.entryGradeLevelDescriptor" in documented("POST", associations,
                                                       unknown)["validationErrors"]
    _post(call, {"namespace": NAMESPACE, "codeValue": "First grade",
                 "shortDescription": "Grade 1"})
    mapped = call("POST", associations, json=_enrolment(district_first))
    documented("POST", associations, mapped)
    assert mapped.status_code == 201

    _post(call, THIRTEENTH)
    unmapped = call("POST", associations, json=_enrolment(f"{NAMESPACE}#Thirteen"))
    errors = documented("POST", associations, unmapped)["validationErrors"]
    assert unmapped.status_code == 400
    assert "exists as a GradeLevelDescriptor but has no canonical mapping" in (
        errors["$.entryGradeLevelDescriptor"][0])


@pytest.mark.parametrize(("body", "path"), [
    ({**THIRTEENTH, "colour": "blue"}, "$.colour"),
    ({**THIRTEENTH, "codeValue": 13}, "$.codeValue"),
    ({**THIRTEENTH, "codeValue": "x" * 51}, "$.codeValue"),
    ({**THIRTEENTH, "shortDescription": "x" * 76}, "$.shortDescription"),
    ({**THIRTEENTH, "effectiveBeginDate": "01/07/2026"}, "$.effectiveBeginDate"),
    ({k: v for k, v in THIRTEENTH.items() if k != "shortDescription"}, "$.shortDescription"),
    ({k: v for k, v in THIRTEENTH.items() if k != "namespace"}, "$.namespace"),
    ({**THIRTEENTH, "codeValue": "13#A"}, "$.codeValue"),
    ({**THIRTEENTH, "namespace": "uri://district.example/SexDescriptor"}, "$.namespace"),
    ({**THIRTEENTH, "effectiveEndDate": "2026-01-01"}, "$.effectiveEndDate"),
])
def test_a_bad_body_is_refused_at_its_json_path_and_nothing_is_stored(edfi, body, path):
    stored = _stored(edfi)
    reply = _post(edfi.as_app(scopes=WRITER, descriptor_namespaces=DISTRICT_NS), body)
    problem = reply.get_json()
    assert reply.status_code == 400
    assert problem["type"] == "urn:ed-fi:api:bad-request:data-validation-failed"
    assert path in problem["validationErrors"]
    assert _stored(edfi) == stored


def test_writing_descriptors_needs_a_write_scope_and_deleting_needs_ownership(edfi):
    reader = edfi.as_app()
    refused = _post(reader, THIRTEENTH)
    assert refused.status_code == 403
    assert documented("GET", GRADES, reader.get(GRADES))
    narrow = edfi.as_app(scopes=("edfi.readonly", "edfi.write.descriptors"),
                         name="descriptors only", descriptor_namespaces=DISTRICT_NS)
    created = _post(narrow, THIRTEENTH)
    assert created.status_code == 201
    assert narrow("POST", "/ed-fi/schools", json=SCHOOL).status_code == 403
    other = edfi.as_app(scopes=WRITER, descriptor_namespaces=DISTRICT_NS, name="another writer")
    item = _path(created.headers["Location"])
    foreign = other("DELETE", item)
    documented("DELETE", item, foreign)
    assert foreign.status_code == 403
    assert other.get(item).status_code == 200
    missing = item[:-32] + "f" * 32
    absent = narrow("PUT", missing, json=THIRTEENTH)
    documented("PUT", missing, absent)
    assert absent.status_code == 404


def test_a_writer_writes_descriptors_only_in_the_namespaces_its_agreement_names(edfi):
    body = {**THIRTEENTH}
    unnamed = edfi.as_app(scopes=WRITER, name="no namespaces")
    refused = unnamed("POST", "/ed-fi/gradeLevelDescriptors", json=body)
    problem = conforms("POST", "/ed-fi/gradeLevelDescriptors", refused)
    assert refused.status_code == 403, problem
    assert problem["type"] == "urn:ed-fi:api:security:authorization"
    assert "descriptor_namespaces" in problem["detail"]
    other = edfi.as_app(scopes=WRITER, name="elsewhere",
                        descriptor_namespaces=["uri://other.example"])
    assert other("POST", "/ed-fi/gradeLevelDescriptors", json=body).status_code == 403
    named = edfi.as_app(scopes=WRITER, name="named", descriptor_namespaces=DISTRICT_NS)
    assert named("POST", "/ed-fi/gradeLevelDescriptors", json=body).status_code == 201


@pytest.mark.parametrize(("value", "reason"), [
    ("uri://ed-fi.org", "official Ed-Fi namespace"),
    ("uri://ed-fi.org/SexDescriptor", "official Ed-Fi namespace"),
    ("http://district.example", "not a namespace URI"),
    ("district", "not a namespace URI"),
])
def test_an_agreement_naming_a_bad_descriptor_namespace_is_refused_precisely(value, reason):
    doc = {"name": "x", "purpose": "instruction", "expires": "2099-12-31",
           "scopes": list(WRITER), "descriptor_namespaces": [value]}
    with pytest.raises(AgreementError, match=reason):
        parse_agreement(doc)
