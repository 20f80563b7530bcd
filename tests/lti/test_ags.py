"""Assignment and Grade Services 2.0: line items and scores enter the canonical gradebook
through the sync engine as the tool's app source, and are read back through the read engine
(real app, real store, both backends)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from gateway.auth.registry import register_app
from gateway.model import LtiLineItem, LtiScoreMark
from gateway.policy.agreement import parse_agreement
from tests.lti.spec_check import check

AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
LTI = "https://purl.imsglobal.org/spec/lti/claim/"
SCOPES = " ".join([
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score"])
READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"


class Ags:
    def __init__(self, lti) -> None:
        self.lti = lti
        self.claims = lti.launch("stu-a1")
        self.lineitems = self.claims[AGS_CLAIM]["lineitems"]
        self.token = lti.token(SCOPES)

    def call(self, method: str, url: str, body=None, token: str | None = None, **query):
        parts = urlsplit(url)
        headers = {"Authorization": f"Bearer {token or self.token}"}
        kwargs = {"query_string": query, "headers": headers}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/vnd.ims.lis.v2.lineitem+json"
        return self.lti.client.open(parts.path, method=method, **kwargs)

    def create(self, **body):
        item = {"label": "Quiz 7", "scoreMaximum": 6, **body}
        response = self.call("POST", self.lineitems, item)
        assert response.status_code == 201, response.get_json()
        assert response.mimetype == "application/vnd.ims.lis.v2.lineitem+json"
        item = json.loads(response.get_data())
        check("ags-lineitem", item)
        return item

    def score(self, item_url: str, timestamp: str, given: float | None = 1, **extra):
        body = {"userId": self.claims["sub"], "timestamp": timestamp,
                "activityProgress": "Completed", "gradingProgress": "FullyGraded", **extra}
        if given is not None:
            body.update(scoreGiven=given, scoreMaximum=3)
        return self.call("POST", item_url + "/scores", body)

    def results(self, item_url: str):
        response = self.call("GET", item_url + "/results")
        assert response.status_code == 200, response.get_json()
        assert response.mimetype == "application/vnd.ims.lis.v2.resultcontainer+json"
        results = json.loads(response.get_data())
        check("ags-result-container", results)
        return results


@pytest.fixture
def ags(lti) -> Ags:
    return Ags(lti)


def oneroster(lti, path: str):
    client_id, secret = register_app(lti.engine, "Gradebook reader", parse_agreement({
        "name": "g", "purpose": "instruction", "expires": "2099-12-31",
        "scopes": ["gradebook.readonly"]}))
    token = lti.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                            auth=(client_id, secret)).get_json()["access_token"]
    return lti.client.get(path, headers={"Authorization": f"Bearer {token}"})


def test_the_launch_carries_the_ags_claim(ags):
    claim = ags.claims[AGS_CLAIM]
    assert claim["lineitems"].endswith(
        f"/lti/contexts/{ags.claims[LTI + 'context']['id']}/lineitems")
    assert sorted(claim["scope"]) == sorted(SCOPES.split())


def test_a_line_item_is_created_kept_as_given_and_served_by_oneroster(ags):
    link = ags.claims[LTI + "resource_link"]["id"]
    item = ags.create(resourceId="Quiz-7", tag="Grade", resourceLinkId=link,
                      startDateTime="2026-09-01T08:00:00+02:00")
    assert item["id"].startswith(ags.lineitems + "/")
    assert (item["label"], item["scoreMaximum"], item["resourceId"], item["tag"],
            item["resourceLinkId"]) == ("Quiz 7", 6, "Quiz-7", "Grade", link)
    assert item["startDateTime"].startswith("2026-09-01T06:00:00")
    fetched = json.loads(ags.call("GET", item["id"]).get_data())
    assert fetched == item
    other = ags.create(label="Homework", tag="Other")
    listed = json.loads(ags.call("GET", ags.lineitems).get_data())
    for each in listed:
        check("ags-lineitem", each)
    assert [i["id"] for i in listed] == [item["id"], other["id"]]
    assert [i["id"] for i in json.loads(ags.call("GET", ags.lineitems, tag="Grade")
                                        .get_data())] == [item["id"]]
    assert json.loads(ags.call("GET", ags.lineitems, resource_id="none").get_data()) == []
    paged = ags.call("GET", ags.lineitems, limit="1")
    assert 'rel="next"' in paged.headers["Link"] and len(json.loads(paged.get_data())) == 1
    sourced_id = item["id"].rsplit("/", 1)[1]
    read = oneroster(ags.lti, f"/ims/oneroster/gradebook/v1p2/lineItems/{sourced_id}")
    assert read.status_code == 200, read.get_json()
    line_item = read.get_json()["lineItem"]
    assert line_item["title"] == "Quiz 7"
    assert line_item["class"]["sourcedId"] == "cls-a"


def test_scores_are_rescaled_into_results_and_must_move_forward_in_time(ags):
    item = ags.create()
    assert ags.score(item["id"], "2026-09-10T10:00:00.100Z").status_code == 204
    [result] = ags.results(item["id"])
    assert result["userId"] == ags.claims["sub"]
    assert (result["resultScore"], result["resultMaximum"]) == (2, 6)  # 1/3 of 6
    assert result["scoreOf"] == item["id"]
    for stale in ("2026-09-10T10:00:00.100Z", "2026-09-10T09:59:59Z",
                  "2026-09-10T12:00:00.050+02:00"):
        refused = ags.score(item["id"], stale, given=3)
        assert refused.status_code == 409, stale
        assert "is not after the last score's" in refused.get_json()["error_description"]
    assert ags.results(item["id"])[0]["resultScore"] == 2
    assert ags.score(item["id"], "2026-09-10T10:00:00.101Z", given=3,
                     comment="Well done").status_code == 204
    [result] = ags.results(item["id"])
    assert (result["resultScore"], result["comment"]) == (6, "Well done")
    sourced_id = item["id"].rsplit("/", 1)[1]
    read = oneroster(ags.lti, f"/ims/oneroster/gradebook/v1p2/classes/cls-a/lineItems/"
                                f"{sourced_id}/results")
    assert [(r["student"]["sourcedId"], float(r["score"])) for r in read.get_json()["results"]
            ] == [("stu-a1", 6.0)]
    # a score without scoreGiven clears it
    assert ags.score(item["id"], "2026-09-11T00:00:00Z", given=None).status_code == 204
    assert ags.results(item["id"]) == []


def marks(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(LtiScoreMark)).scalar_one()


def test_a_score_for_someone_outside_the_context_is_refused_and_nothing_stored(ags):
    item = ags.create()
    sub = ags.lti.launch("stu-a2")["sub"]
    outsider = "0" * len(sub)  # (a replace("a", "b") left a sub without an "a" unchanged)
    assert outsider != sub
    body = {"userId": outsider, "timestamp": "2026-09-10T10:00:00Z",
            "activityProgress": "Completed", "gradingProgress": "FullyGraded",
            "scoreGiven": 1, "scoreMaximum": 1}
    response = ags.call("POST", item["id"] + "/scores", body)
    assert response.status_code == 400
    assert response.get_json()["error_description"] == (
        f"userId {outsider!r} is not a member of this context")
    assert marks(ags.lti.engine) == 0 and ags.results(item["id"]) == []


@pytest.mark.parametrize(("body", "description"), [
    ({"label": "  ", "scoreMaximum": 5}, "label must be non-blank text"),
    ({"label": "Q", "scoreMaximum": 0}, "scoreMaximum is required and must be a number "
                                        "greater than 0"),
    ({"label": "Q", "scoreMaximum": True}, "scoreMaximum is required"),
    ({"label": "Q", "scoreMaximum": 5, "startDateTime": "2026-09-01T08:00:00"},
     "startDateTime must be an ISO 8601 date-time with a time zone"),
    ({"label": "Q", "scoreMaximum": 5, "tag": 7}, "tag must be text"),
])
def test_bad_line_items_are_refused_precisely_and_nothing_stored(ags, body, description):
    response = ags.call("POST", ags.lineitems, body)
    assert response.status_code == 400
    assert response.get_json()["error_description"].startswith(description)
    with ags.lti.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(LtiLineItem)).scalar_one() == 0


def test_bad_scores_are_refused_precisely(ags):
    item = ags.create()
    base = {"userId": ags.claims["sub"], "timestamp": "2026-09-10T10:00:00Z",
            "activityProgress": "Completed", "gradingProgress": "FullyGraded"}
    cases = [
        ({**base, "timestamp": "yesterday"}, "timestamp must be an ISO 8601"),
        ({**base, "activityProgress": "Done"}, "activityProgress must be one of"),
        ({**base, "gradingProgress": None}, "gradingProgress must be one of"),
        ({**base, "scoreGiven": -1, "scoreMaximum": 1}, "scoreGiven must be a number"),
        ({**base, "scoreGiven": 1}, "scoreMaximum is required with scoreGiven"),
    ]
    for body, description in cases:
        response = ags.call("POST", item["id"] + "/scores", body)
        assert response.status_code == 400, body
        assert response.get_json()["error_description"].startswith(description)
    assert marks(ags.lti.engine) == 0


def test_a_foreign_resource_link_or_line_item_is_unknown(ags):
    response = ags.call("POST", ags.lineitems, {"label": "Q", "scoreMaximum": 1,
                                                "resourceLinkId": "0" * 32})
    assert response.status_code == 404
    item = ags.create()
    other = ags.lti.add_tool("Other tool")
    ags.lti.tool = other
    foreign = ags.lti.token(SCOPES)
    assert ags.call("GET", item["id"], token=foreign).status_code == 404
    assert ags.call("GET", ags.lineitems, token=foreign).status_code == 404


def test_a_read_only_token_cannot_write(ags):
    token = ags.lti.token(READONLY)
    response = ags.call("POST", ags.lineitems, {"label": "Q", "scoreMaximum": 1}, token=token)
    assert response.status_code == 403
    assert ags.call("GET", ags.lineitems, token=token).status_code == 200


def test_oversized_ags_bodies_are_refused(ags):
    response = ags.call("POST", ags.lineitems, {"label": "x" * 70_000, "scoreMaximum": 1})
    assert response.status_code == 413


def test_a_line_item_is_replaced_but_its_bindings_stay_and_it_can_be_deleted(ags):
    item = ags.create(tag="Grade", resourceId="Q7")
    updated = ags.call("PUT", item["id"], {**item, "label": "Quiz 7 (retake)",
                                           "scoreMaximum": 12})
    assert updated.status_code == 200, updated.get_json()
    body = json.loads(updated.get_data())
    assert (body["label"], body["scoreMaximum"], body["tag"], body["resourceId"]) == (
        "Quiz 7 (retake)", 12, "Grade", "Q7")
    changed_tag = ags.call("PUT", item["id"], {**body, "tag": "Other"})
    assert changed_tag.status_code == 400
    assert changed_tag.get_json()["error_description"] == (
        "tag cannot be changed (it stays 'Grade')")
    assert ags.score(item["id"], "2026-09-10T10:00:00Z").status_code == 204
    rescale = ags.call("PUT", item["id"], {**body, "scoreMaximum": 20})
    assert rescale.status_code == 409
    assert ags.call("DELETE", item["id"]).status_code == 204
    assert ags.call("GET", item["id"]).status_code == 404
    assert json.loads(ags.call("GET", ags.lineitems).get_data()) == []
    sourced_id = item["id"].rsplit("/", 1)[1]
    gone = oneroster(ags.lti, f"/ims/oneroster/gradebook/v1p2/lineItems/{sourced_id}")
    assert gone.status_code == 404


def test_an_opted_out_student_has_no_results_and_cannot_be_scored(ags):
    from gateway.policy.optouts import add_optout

    item = ags.create()
    assert ags.score(item["id"], "2026-09-10T10:00:00Z").status_code == 204
    assert len(ags.results(item["id"])) == 1
    add_optout(ags.lti.engine, "stu-a1", ags.lti.app_client_id)
    assert ags.results(item["id"]) == []
    refused = ags.score(item["id"], "2026-09-11T10:00:00Z")
    assert refused.status_code == 400
    assert "is not a member of this context" in refused.get_json()["error_description"]
