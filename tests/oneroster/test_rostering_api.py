"""OneRoster behaviour a vendor relies on: envelopes, both versions as projections of one row,
query language, paging headers, errors, tolerant input, and gradebook writes."""

from __future__ import annotations

from urllib.parse import quote

from tests.oneroster.spec_check import assert_valid

V12 = "/ims/oneroster/rostering/v1p2"
V11 = "/ims/oneroster/v1p1"
GB12 = "/ims/oneroster/gradebook/v1p2"


def test_users_in_1_2_carry_roles_and_in_1_1_role_and_orgs_from_the_same_row(api):
    get = api.as_app()
    v12 = get(f"{V12}/users/tch-a").get_json()["user"]
    v11 = get(f"{V11}/users/tch-a").get_json()["user"]
    assert v12["roles"] == [{"roleType": "primary", "role": "teacher", "org": {
        "href": "http://localhost/ims/oneroster/rostering/v1p2/orgs/sch-a",
        "sourcedId": "sch-a", "type": "org"}}]
    assert v11["role"] == "teacher"
    assert v11["orgs"] == [{"href": "http://localhost/ims/oneroster/v1p1/orgs/sch-a",
                            "sourcedId": "sch-a", "type": "org"}]
    assert v12["enabledUser"] == v11["enabledUser"] == "true"
    assert "roles" not in v11
    assert v12["dateLastModified"].endswith("Z")


def test_collections_page_with_total_count_and_link_headers(api):
    get = api.as_app()
    first = get(f"{V12}/users?limit=3&sort=sourcedId")
    total = int(first.headers["X-Total-Count"])
    assert total == 22  # 2 teachers, 10 students, 10 parents
    assert 'rel="next"' in first.headers["Link"] and 'rel="last"' in first.headers["Link"]
    seen = []
    for offset in range(0, total, 3):
        page = get(f"{V12}/users?limit=3&offset={offset}&sort=sourcedId").get_json()["users"]
        seen += [u["sourcedId"] for u in page]
    assert len(seen) == len(set(seen)) == total
    assert seen == sorted(seen)


def test_filter_sort_and_fields(api):
    get = api.as_app()
    response = get(f"{V12}/users?filter=givenName%3D%27Zo%C3%AB%27&fields=sourcedId,givenName")
    assert response.status_code == 200
    users = response.get_json()["users"]
    assert {u["sourcedId"] for u in users} == {"stu-a3", "stu-b3"}
    assert all(set(u) == {"sourcedId", "givenName"} for u in users)
    assert_valid("GET", f"{V12}/users", response, partial=True)
    quoted = get(f"{V12}/users?filter=" + quote("givenName='O''Neil' AND familyName='Pupila'"))
    assert [u["sourcedId"] for u in quoted.get_json()["users"]] == ["stu-a5"]
    desc = get(f"{V12}/classes?sort=title&orderBy=desc").get_json()["classes"]
    assert [c["sourcedId"] for c in desc] == ["cls-b", "cls-a"]
    nested = get(f"{V12}/classes?filter=" + quote("school.sourcedId='sch-b'"))
    assert [c["sourcedId"] for c in nested.get_json()["classes"]] == ["cls-b"]
    by_role = get(f"{V11}/users?filter=" + quote("role='teacher'")).get_json()["users"]
    assert {u["sourcedId"] for u in by_role} == {"tch-a", "tch-b"}


def test_repeated_fields_and_trailing_slash_and_plus_for_space_are_tolerated(api):
    get = api.as_app()
    response = get(f"{V12}/users/?fields=sourcedId&fields=familyName&filter=givenName='Tess'"
                   "+AND+familyName='Teacha'")
    assert response.status_code == 200
    assert response.get_json()["users"] == [{"sourcedId": "tch-a", "familyName": "Teacha"}]


def test_errors_carry_the_imsx_status_of_each_version(api):
    get = api.as_app()
    bad = get(f"{V12}/users?filter=shoeSize='9'")
    assert bad.status_code == 400
    assert bad.get_json()["imsx_CodeMinor"]["imsx_codeMinorField"][0][
        "imsx_codeMinorFieldValue"] == "invalid_filter_field"
    assert_valid("GET", f"{V12}/users", bad)
    bad11 = get(f"{V11}/users?fields=shoeSize")
    assert bad11.status_code == 400
    assert bad11.get_json()["statusInfoSet"][0]["imsx_CodeMinor"]["imsx_codeMinorField"][0][
        "imsx_codeMinorFieldValue"] == "invalid_selection_field"
    assert_valid("GET", f"{V11}/users", bad11)
    missing = get(f"{V12}/users/nobody")
    assert missing.status_code == 404
    assert_valid("GET", f"{V12}/users/nobody", missing)
    unknown_parent = get(f"{V12}/classes/nope/students")
    assert unknown_parent.status_code == 404
    assert "no classes" in unknown_parent.get_json()["imsx_description"] or \
        "nope" in unknown_parent.get_json()["imsx_description"]
    assert get(f"{V12}/schools/sch-a/classes/cls-b/students").status_code == 404
    nobody = api.client.get(f"{V12}/users")
    assert nobody.status_code == 401
    assert nobody.headers["WWW-Authenticate"].startswith("Bearer")
    assert_valid("GET", f"{V12}/users", nobody)


def test_a_token_without_the_operation_scope_gets_403(api):
    core_only = api.as_app(scopes=["roster-core.readonly"])
    assert core_only(f"{V12}/users").status_code == 200
    nested = core_only(f"{V12}/classes/cls-a/students")
    assert nested.status_code == 403
    assert nested.get_json()["imsx_CodeMinor"]["imsx_codeMinorField"][0][
        "imsx_codeMinorFieldValue"] == "forbidden"
    assert core_only(f"{GB12}/lineItems").status_code == 403


def test_sourced_ids_with_an_encoded_slash_are_one_path_segment(api, engine):
    from adapters.records import FamilyMode, Record
    from gateway.config import SourceConfig
    from gateway.sync.runner import run_sync

    run_sync(engine, SourceConfig(name="extra", adapter="t"), iter([
        FamilyMode("academicSessions", "delta"),
        Record("academicSessions", "terms/2027/spring",
               {"title": "Spring", "type": "term", "startDate": "2027-01-19",
                "endDate": "2027-06-05", "schoolYear": "2027"}, status="active"),
    ]), adapter_name="t")
    get = api.as_app()
    response = get(f"{V12}/terms/{quote('terms/2027/spring', safe='')}")
    assert response.status_code == 200
    assert response.get_json()["academicSession"]["sourcedId"] == "terms/2027/spring"


def test_oversize_limit_is_clamped_not_refused(api):
    get = api.as_app()
    response = get(f"{V12}/users?limit=100000")
    assert response.status_code == 200
    assert len(response.get_json()["users"]) == 22


def test_gradebook_put_creates_then_replaces_and_delete_tombstones(api):
    writer = api.as_app(scopes=["gradebook.createput", "gradebook.delete", "gradebook.readonly"],
                        schools=["sch-a"])
    body = {"lineItem": {"title": "Essay", "assignDate": "2026-10-01T00:00:00Z",
                         "dueDate": "2026-10-08T00:00:00Z", "class": {"sourcedId": "cls-a"},
                         "school": {"sourcedId": "sch-a"}, "category": {"sourcedId": "cat-hw"}}}
    created = writer(f"{GB12}/lineItems/li-essay", method="PUT", json=body)
    assert created.status_code == 201, created.get_json()
    body["lineItem"]["title"] = "Essay (revised)"
    replaced = writer(f"{GB12}/lineItems/li-essay", method="PUT", json=body)
    assert replaced.status_code == 200
    sis_reader = api.as_app()
    seen = sis_reader(f"{GB12}/lineItems/li-essay").get_json()["lineItem"]
    assert seen["title"] == "Essay (revised)"
    assert seen["class"]["sourcedId"] == "cls-a"
    assert writer(f"{GB12}/lineItems/li-essay", method="DELETE").status_code == 204
    gone = sis_reader(f"{GB12}/lineItems?filter=" + quote("sourcedId='li-essay'"))
    assert gone.get_json()["lineItems"] == []


def test_gradebook_writes_are_validated_and_scoped(api):
    writer = api.as_app(scopes=["gradebook.createput", "gradebook.delete"], schools=["sch-a"])
    other_school = writer(f"{GB12}/results/r-x", method="PUT", json={"result": {
        "lineItem": {"sourcedId": "li-b"}, "student": {"sourcedId": "stu-b1"},
        "scoreStatus": "fully graded", "scoreDate": "2026-09-10"}})
    assert other_school.status_code == 422
    bad_date = writer(f"{GB12}/results/r-y", method="PUT", json={"result": {
        "lineItem": {"sourcedId": "li-a"}, "student": {"sourcedId": "stu-a1"},
        "scoreStatus": "fully graded", "scoreDate": "yesterday"}})
    assert bad_date.status_code == 422
    assert "scoreDate" in bad_date.get_json()["imsx_description"]
    sis_owned = writer(f"{GB12}/lineItems/li-a", method="DELETE")
    assert sis_owned.status_code == 403


def test_bulk_post_allocates_ids_and_links_them_to_the_class(api):
    writer = api.as_app(scopes=["gradebook.createpost", "gradebook.readonly"])
    response = writer(f"{GB12}/classes/cls-a/lineItems", method="POST", json={"lineItems": [
        {"sourcedId": "li-p1", "title": "Lab 1", "assignDate": "2026-10-01T00:00:00Z",
         "dueDate": "2026-10-02T00:00:00Z", "school": {"sourcedId": "sch-a"},
         "category": {"sourcedId": "cat-hw"}},
    ]})
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {"sourcedIdPairs": [
        {"suppliedSourcedId": "li-p1", "allocatedSourcedId": "li-p1"}]}
    listed = writer(f"{GB12}/classes/cls-a/lineItems").get_json()["lineItems"]
    assert "li-p1" in {li["sourcedId"] for li in listed}


def test_served_openapi_documents_name_this_deployment(api):
    doc = api.client.get(f"{V12}/openapi.json").get_json()
    assert doc["servers"] == [{"url": "http://localhost/ims/oneroster/rostering/v1p2"}]


def test_an_app_over_its_request_budget_gets_429_server_busy(api, database_url, tmp_path):
    from gateway.app import create_app
    from tests.oneroster.conftest import Api

    limited = create_app({"database_url": database_url, "api_rate_limit": 5,
                          "var_dir": str(tmp_path)})
    strict = Api(limited, limited.test_client(), api.engine)
    get = strict.as_app()
    import time

    if time.time() % 60 > 50:  # stay inside one one-minute window
        time.sleep(61 - time.time() % 60)
    statuses = [get(f"{V12}/orgs").status_code for _ in range(7)]
    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429, 429]
    busy = get(f"{V12}/orgs")
    assert busy.get_json()["imsx_CodeMinor"]["imsx_codeMinorField"][0][
        "imsx_codeMinorFieldValue"] == "server_busy"
    assert 1 <= int(busy.headers["Retry-After"]) <= 60
    assert_valid("GET", f"{V12}/orgs", busy)
