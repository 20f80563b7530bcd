"""The OneRoster OpenAPI documents in specs/oneroster/ say what the standard says.

They are valid OpenAPI 3.1, carry exactly the standard's operations with their scopes,
parameters and responses, accept payloads shaped like the standard's examples and
reject the mistakes real servers make (JSON booleans, extra top-level keys, made-up
vocabulary, missing sourcedIds). They are also exactly what the generator produces.
"""

import copy
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from openapi_spec_validator.validation import OpenAPIV31SpecValidator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPECS = Path(__file__).resolve().parents[2] / "specs" / "oneroster"
V1P1 = "v1p1/openapi.json"
ROSTERING = "v1p2/rostering.openapi.json"
GRADEBOOK = "v1p2/gradebook.openapi.json"
RESOURCES = "v1p2/resources.openapi.json"
ALL_DOCUMENTS = (V1P1, ROSTERING, GRADEBOOK, RESOURCES)
METHODS = ("get", "put", "post", "delete")
ERROR_STATUSES = ("400", "401", "403", "404", "422", "429", "500")
COLLECTION_PARAMETERS = {"limit", "offset", "sort", "orderBy", "filter", "fields"}

Document = dict[str, Any]


def load(name: str) -> Document:
    return json.loads((SPECS / name).read_text(encoding="utf-8"))


def operations(document: Document) -> list[tuple[str, str, Document]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def follow(document: Document, node: Document) -> Document:
    """Follow local $refs (#/components/...) until a real object is reached."""
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def validator_for(document: Document, schema_name: str) -> Draft202012Validator:
    """A Draft 2020-12 validator for one component schema, resolving the document's $refs."""
    uri = "urn:oneroster-openapi"
    registry = Registry().with_resource(
        uri, Resource.from_contents(document, default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": f"{uri}#/components/schemas/{schema_name}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def accepts(document: Document, schema_name: str, payload: Any) -> bool:
    return validator_for(document, schema_name).is_valid(payload)


def scope_names(operation: Document) -> set[str]:
    return {
        scope.rsplit("/", 1)[1]
        for requirement in operation["security"]
        for scope in requirement.get("OAuth2CC", [])
    }


# ------------------------------------------------------------------ documents


@pytest.mark.parametrize("name", ALL_DOCUMENTS)
def test_each_document_is_valid_openapi_3_1(name: str) -> None:
    document = load(name)
    validate_openapi(document, cls=OpenAPIV31SpecValidator)
    assert document["openapi"] == "3.1.0"
    assert document["jsonSchemaDialect"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize(
    ("name", "server"),
    [
        (V1P1, "/ims/oneroster/v1p1"),
        (ROSTERING, "/ims/oneroster/rostering/v1p2"),
        (GRADEBOOK, "/ims/oneroster/gradebook/v1p2"),
        (RESOURCES, "/ims/oneroster/resources/v1p2"),
    ],
)
def test_each_document_serves_from_its_service_root(name: str, server: str) -> None:
    document = load(name)
    assert document["servers"] == [{"url": server}]
    assert all(not path.startswith("/ims/") for path in document["paths"])


def load_build_module() -> Any:
    """Import specs/oneroster/build.py, which also puts its table package on sys.path."""
    spec = importlib.util.spec_from_file_location("oneroster_build", SPECS / "build.py")
    assert spec and spec.loader
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    return build


def test_committed_json_is_exactly_what_the_generator_writes() -> None:
    expected = load_build_module().build_documents()
    assert sorted(path.relative_to(SPECS).as_posix() for path in expected) == sorted(ALL_DOCUMENTS)
    for path, text in expected.items():
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run build.py"


def test_an_unreadable_field_row_names_the_table_row_and_text() -> None:
    load_build_module()
    from oneroster_openapi.fields import TableError, parse_table

    with pytest.raises(TableError, match=r"User row 2: cannot read 'givenName string X'"):
        parse_table("User", "sourcedId string R\ngivenName string X")


def test_an_unreadable_operation_row_names_the_file_and_line(tmp_path: Path) -> None:
    load_build_module()
    from oneroster_openapi.operations import OperationTableError, load_operations

    table = tmp_path / "broken-operations.txt"
    table.write_text("[rostering]\ngetAllUsers GET /users 11,12 User core\n", encoding="utf-8")
    with pytest.raises(OperationTableError, match=r"broken-operations.txt line 2: cannot read"):
        load_operations(table)


@pytest.mark.parametrize("name", ALL_DOCUMENTS)
def test_every_internal_reference_resolves(name: str) -> None:
    document = load(name)
    text = json.dumps(document)
    for pointer in set(re.findall(r'"(?:\$ref|x-partial-schema)": "(#/[^"]+)"', text)):
        assert follow(document, {"$ref": pointer}), pointer


# ------------------------------------------------------------------ operations


@pytest.mark.parametrize(
    ("name", "service_scopes", "count"),
    [
        (V1P1, "roster", 41),
        (V1P1, "gradebook", 16),
        (V1P1, "resource", 4),
        (ROSTERING, "roster", 41),
        (GRADEBOOK, "gradebook", 27),
        (RESOURCES, "resource", 5),
    ],
)
def test_operation_counts_match_the_standard(name: str, service_scopes: str, count: int) -> None:
    document = load(name)
    in_service = [
        operation
        for _, _, operation in operations(document)
        if all(scope.startswith(service_scopes) for scope in scope_names(operation))
    ]
    assert len(in_service) == count


@pytest.mark.parametrize(
    ("name", "total"), [(V1P1, 61), (ROSTERING, 41), (GRADEBOOK, 27), (RESOURCES, 5)]
)
def test_operation_ids_are_unique_and_cover_the_document(name: str, total: int) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(load(name))]
    assert len(ids) == total
    assert len(set(ids)) == total


def test_operation_ids_follow_the_standard_names() -> None:
    ids = {op["operationId"] for _, _, op in operations(load(ROSTERING))}
    assert {"getAllUsers", "getUser", "getClassesForUser", "getDemographics"} <= ids
    gradebook = {
        (path, method): op["operationId"] for path, method, op in operations(load(GRADEBOOK))
    }
    assert gradebook[("/classes/{classSourcedId}/lineItems", "post")] == "postLineItemsForClass"
    assert gradebook[("/lineItems/{lineItemSourcedId}/results", "post")] == "postResultsForLineItem"
    assert gradebook[("/scoreScales/{sourcedId}", "put")] == "putScoreScale"
    resources = {op["operationId"] for _, _, op in operations(load(RESOURCES))}
    assert "getResourcesForUser" in resources
    assert "getResourcesForUser" not in {op["operationId"] for _, _, op in operations(load(V1P1))}


@pytest.mark.parametrize(
    ("name", "version"), [(n, "v1p1" if n == V1P1 else "v1p2") for n in ALL_DOCUMENTS]
)
def test_every_operation_requires_declared_oauth2_scopes_of_its_version(
    name: str, version: str
) -> None:
    document = load(name)
    scheme = document["components"]["securitySchemes"]["OAuth2CC"]
    assert scheme["type"] == "oauth2"
    declared = scheme["flows"]["clientCredentials"]["scopes"]
    for path, method, operation in operations(document):
        oauth2 = [req["OAuth2CC"] for req in operation["security"] if "OAuth2CC" in req]
        assert oauth2 and all(oauth2), f"{method} {path} has no OAuth2 scopes"
        for scope in (scope for option in oauth2 for scope in option):
            assert scope.startswith(f"https://purl.imsglobal.org/spec/or/{version}/scope/")
            assert scope in declared, f"{method} {path}: {scope} is not declared"


def test_demographics_need_their_own_scope_and_roster_readonly_does_not_grant_them() -> None:
    for name in (V1P1, ROSTERING):
        for path, _, operation in operations(load(name)):
            if path.startswith("/demographics"):
                assert scope_names(operation) == {"roster-demographics.readonly"}
            elif "roster-demographics.readonly" in scope_names(operation):
                pytest.fail(f"{path} accepts the demographics scope")


def test_core_reads_accept_either_the_core_or_the_full_read_scope() -> None:
    users = load(ROSTERING)["paths"]["/users"]["get"]
    assert users["security"] == [
        {"OAuth2CC": ["https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"]},
        {"OAuth2CC": ["https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly"]},
    ]
    nested = load(ROSTERING)["paths"]["/users/{userSourcedId}/classes"]["get"]
    assert scope_names(nested) == {"roster.readonly"}


@pytest.mark.parametrize("name", ALL_DOCUMENTS)
def test_collections_take_paging_query_and_answer_with_count_and_link_headers(name: str) -> None:
    document = load(name)
    for path, method, operation in operations(document):
        if method != "get" or path.endswith("}"):
            continue
        parameters = [follow(document, p) for p in operation["parameters"]]
        assert {p["name"] for p in parameters if p["in"] == "query"} == COLLECTION_PARAMETERS
        headers = operation["responses"]["200"]["headers"]
        assert set(headers) == {"X-Total-Count", "Link"}, path


@pytest.mark.parametrize("name", ALL_DOCUMENTS)
def test_single_reads_take_only_fields(name: str) -> None:
    document = load(name)
    for path, method, operation in operations(document):
        if method == "get" and path.endswith("}"):
            parameters = [follow(document, p) for p in operation["parameters"]]
            assert [p["name"] for p in parameters if p["in"] == "query"] == ["fields"], path


def test_limit_defaults_to_100_and_must_be_positive() -> None:
    limit = load(ROSTERING)["components"]["parameters"]["limit"]["schema"]
    assert limit["default"] == 100
    assert limit["minimum"] == 1


@pytest.mark.parametrize("name", ALL_DOCUMENTS)
def test_every_operation_documents_the_error_statuses(name: str) -> None:
    document = load(name)
    error_schema = "StatusInfoSet" if name == V1P1 else "imsx_StatusInfo"
    for path, method, operation in operations(document):
        for status in ERROR_STATUSES:
            response = follow(document, operation["responses"][status])
            schema = response["content"]["application/json"]["schema"]
            assert schema == {"$ref": f"#/components/schemas/{error_schema}"}, (path, method)


@pytest.mark.parametrize("name", [V1P1, GRADEBOOK])
def test_writes_answer_201_or_200_for_put_204_for_delete_and_have_bodies(name: str) -> None:
    document = load(name)
    for path, method, operation in operations(document):
        responses = operation["responses"]
        if method == "put":
            assert {"200", "201"} <= set(responses), path
            assert operation["requestBody"]["required"] is True
        elif method == "delete":
            assert "204" in responses and "requestBody" not in operation
        elif method == "post":
            body = follow(
                document, operation["requestBody"]["content"]["application/json"]["schema"]
            )
            assert body["required"] == [next(iter(body["properties"]))]
            created = responses["201"]["content"]["application/json"]["schema"]
            assert created == {"$ref": "#/components/schemas/GUIDPairSet"}


def test_gradebook_1_2_has_the_four_bulk_post_endpoints() -> None:
    posts = {path for path, method, _ in operations(load(GRADEBOOK)) if method == "post"}
    assert posts == {
        "/classes/{classSourcedId}/lineItems",
        "/schools/{schoolSourcedId}/lineItems",
        "/lineItems/{lineItemSourcedId}/results",
        "/classes/{classSourcedId}/academicSessions/{academicSessionSourcedId}/results",
    }


@pytest.mark.parametrize("name", ALL_DOCUMENTS)
def test_each_200_names_a_partial_envelope_for_projected_responses(name: str) -> None:
    document = load(name)
    for path, _, operation in operations(document):
        ok = operation["responses"].get("200", {}).get("content", {}).get("application/json")
        if ok:
            strict = ok["schema"]["$ref"].rsplit("/", 1)[1]
            assert ok["x-partial-schema"] == f"#/components/schemas/{strict}Partial", path


# ------------------------------------------------------------------ example payloads

HREF = "https://sis.example.org/ims/oneroster/rostering/v1p2"


def guid(kind: str, sourced_id: str, base: str = HREF) -> dict[str, str]:
    plural = {"class": "classes"}.get(kind, kind + "s")
    return {"href": f"{base}/{plural}/{sourced_id}", "sourcedId": sourced_id, "type": kind}


STUDENT_V1P2 = {
    "sourcedId": "u-7f3a",
    "status": "active",
    "dateLastModified": "2024-08-19T14:02:11.000Z",
    "metadata": {"district.house": "Blue"},
    "username": "mfernandez",
    "userIds": [{"type": "LDAP", "identifier": "cn=mfernandez"}],
    "enabledUser": "true",
    "givenName": "Marisol",
    "familyName": "Fernández",
    "preferredFirstName": "Mari",
    "roles": [
        {
            "roleType": "primary",
            "role": "student",
            "org": guid("org", "sch-12"),
            "beginDate": "2024-08-26",
        }
    ],
    "primaryOrg": guid("org", "sch-12"),
    "agents": [guid("user", "u-9c01")],
    "grades": ["07"],
}

CLASS_V1P2 = {
    "sourcedId": "cls-alg1-p3",
    "status": "active",
    "dateLastModified": "2024-08-01T06:00:00Z",
    "title": "Algebra I - Period 3",
    "classCode": "ALG1-3",
    "classType": "scheduled",
    "location": "Room 214",
    "course": guid("course", "crs-alg1"),
    "school": guid("org", "sch-12"),
    "terms": [guid("academicSession", "term-2024-fall")],
    "periods": ["3"],
}

DEMOGRAPHICS_V1P2 = {
    "sourcedId": "u-7f3a",
    "status": "active",
    "dateLastModified": "2024-08-19T14:02:11Z",
    "birthDate": "2011-03-04",
    "sex": "female",
    "hispanicOrLatinoEthnicity": "true",
    "white": "false",
}

STATUS_1P2 = {
    "imsx_codeMajor": "failure",
    "imsx_severity": "error",
    "imsx_description": "No user with sourcedId u-0000",
    "imsx_CodeMinor": {
        "imsx_codeMinorField": [
            {
                "imsx_codeMinorFieldName": "TargetEndSystem",
                "imsx_codeMinorFieldValue": "unknownobject",
            }
        ]
    },
}

GB = "https://sis.example.org/ims/oneroster/gradebook/v1p2"

LINE_ITEM_V1P2 = {
    "sourcedId": "li-quiz-4",
    "status": "active",
    "dateLastModified": "2024-10-02T17:30:00Z",
    "title": "Quiz 4: linear equations",
    "assignDate": "2024-10-07T13:00:00Z",
    "dueDate": "2024-10-09T13:00:00Z",
    "class": guid("class", "cls-alg1-p3", GB),
    "school": guid("org", "sch-12", GB),
    "category": {"href": f"{GB}/categories/cat-quiz", "sourcedId": "cat-quiz", "type": "category"},
    "resultValueMin": 0,
    "resultValueMax": 20,
}

RESULT_V1P2 = {
    "sourcedId": "res-quiz-4-u-7f3a",
    "status": "active",
    "dateLastModified": "2024-10-10T08:15:00Z",
    "lineItem": {"href": f"{GB}/lineItems/li-quiz-4", "sourcedId": "li-quiz-4", "type": "lineItem"},
    "student": guid("user", "u-7f3a", GB),
    "scoreStatus": "fully graded",
    "score": 22,
    "scoreDate": "2024-10-10",
    "comment": "Extra credit on question 5.",
    "late": "false",
}

V1 = "https://sis.example.org/ims/oneroster/v1p1"

TEACHER_V1P1 = {
    "sourcedId": "u-t-31",
    "status": "active",
    "dateLastModified": "2024-07-30T10:00:00Z",
    "username": "jokafor",
    "enabledUser": "true",
    "givenName": "James",
    "familyName": "Okafor",
    "role": "teacher",
    "email": "jokafor@example.org",
    "orgs": [guid("org", "sch-12", V1)],
}


@pytest.mark.parametrize(
    ("schema", "payload"),
    [
        ("UserSet", {"users": [STUDENT_V1P2]}),
        ("UserSet", {"users": []}),
        ("SingleUser", {"user": STUDENT_V1P2}),
        ("SingleClass", {"class": CLASS_V1P2}),
        ("DemographicsSet", {"demographics": [DEMOGRAPHICS_V1P2]}),
        ("SingleDemographics", {"demographics": DEMOGRAPHICS_V1P2}),
        ("imsx_StatusInfo", STATUS_1P2),
    ],
)
def test_rostering_1_2_accepts_payloads_shaped_like_the_standard(schema: str, payload: Any) -> None:
    validator_for(load(ROSTERING), schema).validate(payload)


@pytest.mark.parametrize(
    ("schema", "payload"),
    [
        ("SingleLineItem", {"lineItem": LINE_ITEM_V1P2}),
        ("ResultSet", {"results": [RESULT_V1P2]}),
        ("ResultSetRequest", {"results": [RESULT_V1P2]}),
        (
            "GUIDPairSet",
            {"sourcedIdPairs": [{"suppliedSourcedId": "tmp-1", "allocatedSourcedId": "li-88"}]},
        ),
    ],
)
def test_gradebook_1_2_accepts_payloads_shaped_like_the_standard(schema: str, payload: Any) -> None:
    validator_for(load(GRADEBOOK), schema).validate(payload)


def test_resources_1_2_accepts_a_resource_with_an_extension_role() -> None:
    resource = {
        "sourcedId": "rsc-1",
        "status": "active",
        "dateLastModified": "2024-06-01T00:00:00Z",
        "title": "Interactive number line",
        "roles": ["student", "ext:tutor"],
        "importance": "primary",
        "vendorResourceId": "NL-2020",
    }
    validator_for(load(RESOURCES), "SingleResource").validate({"resource": resource})


def test_1_1_accepts_a_teacher_with_one_role_and_orgs_and_a_wrapped_error() -> None:
    document = load(V1P1)
    validator_for(document, "UserSet").validate({"users": [TEACHER_V1P1]})
    warning = {
        "imsx_codeMajor": "success",
        "imsx_severity": "warning",
        "imsx_CodeMinor": {
            "imsx_codeMinorField": [
                {
                    "imsx_codeMinorFieldName": "sort",
                    "imsx_codeMinorFieldValue": "invalid_sort_field",
                }
            ]
        },
    }
    validator_for(document, "UserSet").validate({"users": [], "statusInfoSet": [warning]})
    failure = {
        **STATUS_1P2,
        "imsx_CodeMinor": {
            "imsx_codeMinorField": [
                {
                    "imsx_codeMinorFieldName": "TargetEndSystem",
                    "imsx_codeMinorFieldValue": "unknown object",
                }
            ]
        },
    }
    validator_for(document, "StatusInfoSet").validate({"statusInfoSet": [failure]})


def broken(payload: dict[str, Any], path: tuple[Any, ...], value: Any = None) -> dict[str, Any]:
    """A deep copy of payload with the value at path replaced, or removed when value is None."""
    result = copy.deepcopy(payload)
    target: Any = result
    for step in path[:-1]:
        target = target[step]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return result


@pytest.mark.parametrize(
    ("schema", "payload"),
    [
        pytest.param(
            "SingleUser",
            {"user": broken(STUDENT_V1P2, ("enabledUser",), True)},
            id="json-boolean-instead-of-string",
        ),
        pytest.param(
            "SingleDemographics",
            {"demographics": broken(DEMOGRAPHICS_V1P2, ("white",), False)},
            id="json-boolean-in-demographics",
        ),
        pytest.param(
            "UserSet", {"users": [STUDENT_V1P2], "totalCount": 1}, id="second-top-level-key"
        ),
        pytest.param(
            "SingleUser", {"user": STUDENT_V1P2, "users": [STUDENT_V1P2]}, id="both-envelope-keys"
        ),
        pytest.param(
            "SingleUser",
            {"user": broken(STUDENT_V1P2, ("roles", 0, "role"), "wizard")},
            id="role-outside-vocabulary",
        ),
        pytest.param(
            "SingleUser",
            {"user": broken(STUDENT_V1P2, ("roles", 0, "role"), "ext:")},
            id="empty-extension-term",
        ),
        pytest.param(
            "SingleClass",
            {"class": broken(CLASS_V1P2, ("classType",), "Scheduled")},
            id="vocabulary-is-case-sensitive",
        ),
        pytest.param(
            "SingleUser", {"user": broken(STUDENT_V1P2, ("sourcedId",))}, id="missing-sourcedId"
        ),
        pytest.param(
            "SingleClass", {"class": broken(CLASS_V1P2, ("terms",), [])}, id="class-without-terms"
        ),
        pytest.param(
            "SingleClass",
            {"class": broken(CLASS_V1P2, ("course", "type"), "class")},
            id="reference-of-wrong-type",
        ),
        pytest.param(
            "SingleClass",
            {"class": broken(CLASS_V1P2, ("school", "href"))},
            id="reference-without-href",
        ),
        pytest.param(
            "SingleUser",
            {"user": broken(STUDENT_V1P2, ("nickname",), "Mari")},
            id="undeclared-field",
        ),
        pytest.param(
            "SingleUser",
            {"user": broken(STUDENT_V1P2, ("roles", 0, "beginDate"), "26/08/2024")},
            id="date-not-iso",
        ),
        pytest.param(
            "imsx_StatusInfo",
            broken(
                STATUS_1P2,
                ("imsx_CodeMinor", "imsx_codeMinorField", 0, "imsx_codeMinorFieldValue"),
                "invalid_data",
            ),
            id="codeMinor-not-in-1.2-vocabulary",
        ),
    ],
)
def test_rostering_1_2_rejects_common_server_mistakes(schema: str, payload: Any) -> None:
    assert not accepts(load(ROSTERING), schema, payload)


def test_extension_terms_are_accepted_where_the_vocabulary_is_open() -> None:
    user = broken(STUDENT_V1P2, ("roles", 0, "role"), "ext:districtIT-support")
    assert accepts(load(ROSTERING), "SingleUser", {"user": user})
    bad_role_type = broken(STUDENT_V1P2, ("roles", 0, "roleType"), "ext:tertiary")
    assert not accepts(load(ROSTERING), "SingleUser", {"user": bad_role_type})


@pytest.mark.parametrize(
    ("schema", "payload"),
    [
        pytest.param(
            "SingleResult",
            {"result": broken(RESULT_V1P2, ("late",), False)},
            id="json-boolean-flag",
        ),
        pytest.param(
            "SingleResult",
            {"result": broken(RESULT_V1P2, ("scoreStatus",), "graded")},
            id="scoreStatus-outside-vocabulary",
        ),
        pytest.param(
            "SingleLineItem",
            {"lineItem": broken(LINE_ITEM_V1P2, ("sourcedId",))},
            id="missing-sourcedId",
        ),
        pytest.param("ResultSetRequest", {"results": []}, id="empty-bulk-post"),
        pytest.param(
            "SingleResult",
            {"result": RESULT_V1P2, "imsx_StatusInfo": STATUS_1P2},
            id="status-beside-data",
        ),
    ],
)
def test_gradebook_1_2_rejects_common_server_mistakes(schema: str, payload: Any) -> None:
    assert not accepts(load(GRADEBOOK), schema, payload)


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"users": [broken(TEACHER_V1P1, ("enabledUser",), True)]}, id="json-boolean"),
        pytest.param({"users": [TEACHER_V1P1], "user": TEACHER_V1P1}, id="two-data-keys"),
        pytest.param(
            {"users": [broken(TEACHER_V1P1, ("role",), "districtAdministrator")]},
            id="1.2-role-in-1.1",
        ),
        pytest.param({"users": [broken(TEACHER_V1P1, ("sourcedId",))]}, id="missing-sourcedId"),
        pytest.param({"users": [broken(TEACHER_V1P1, ("orgs",))]}, id="missing-orgs"),
    ],
)
def test_1_1_rejects_common_server_mistakes(payload: Any) -> None:
    assert not accepts(load(V1P1), "UserSet", payload)


# ------------------------------------------------------------------ projected responses


def test_projected_users_fail_the_strict_envelope_but_pass_the_partial_one() -> None:
    document = load(ROSTERING)
    projected = {"users": [{"sourcedId": "u-7f3a", "givenName": "Marisol"}]}
    assert not accepts(document, "UserSet", projected)
    assert accepts(document, "UserSetPartial", projected)
    assert accepts(document, "SingleUserPartial", {"user": {"sourcedId": "u-7f3a"}})


@pytest.mark.parametrize(
    "user",
    [
        pytest.param({"sourcedId": "u-7f3a", "enabledUser": True}, id="json-boolean"),
        pytest.param({"sourcedId": "u-7f3a", "nickname": "Mari"}, id="undeclared-field"),
        pytest.param(
            {"sourcedId": "u-7f3a", "roles": [{"role": "student"}]}, id="incomplete-nested-role"
        ),
    ],
)
def test_partial_envelopes_still_check_the_fields_they_carry(user: dict[str, Any]) -> None:
    assert not accepts(load(ROSTERING), "UserSetPartial", {"users": [user]})


@pytest.mark.parametrize("name", ALL_DOCUMENTS)
def test_every_entity_has_a_partial_twin_with_the_same_fields_and_no_required(name: str) -> None:
    schemas = load(name)["components"]["schemas"]
    entities = [key for key in schemas if f"{key}Partial" in schemas and f"{key}Set" in schemas]
    assert entities
    for entity in entities:
        strict, partial = schemas[entity], schemas[f"{entity}Partial"]
        assert "sourcedId" in strict["required"]
        assert "required" not in partial
        assert partial["properties"] == strict["properties"]
        assert partial["additionalProperties"] is False
        assert strict["properties"]["metadata"] == {"type": "object", "additionalProperties": True}
