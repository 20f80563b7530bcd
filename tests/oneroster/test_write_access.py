"""OneRoster gradebook writes never widen what an app may read and are no oracle: a result or
line item the app may not see answers DELETE exactly as one that does not exist, and a PUT may
name only students and line items the app sees or wrote (issue 11 section 1)."""

from __future__ import annotations

from typing import Any

from gateway.policy.optouts import add_optout

GB = "/ims/oneroster/gradebook/v1p2"
SCOPES = ["gradebook.readonly", "gradebook.createput", "gradebook.delete", "roster.readonly"]


def _alder(api):  # noqa: ANN001, ANN202
    return api.as_app(scopes=SCOPES, schools=["sch-a"], name="alder grader")


def _bare(reply, the_id: str) -> Any:  # noqa: ANN001, ANN401
    return reply.status_code, reply.get_data(as_text=True).replace(the_id, "<id>")


def test_deleting_another_schools_result_or_line_item_answers_as_unknown(api):
    call = _alder(api)
    for family, invisible in (("results", "res-stu-b1"), ("lineItems", "li-b")):
        refused = call(f"{GB}/{family}/{invisible}", method="DELETE")
        unknown = call(f"{GB}/{family}/no-such-id", method="DELETE")
        assert refused.status_code == 404
        assert _bare(refused, invisible) == _bare(unknown, "no-such-id")


def test_deleting_an_opted_out_students_result_answers_as_unknown(api):
    add_optout(api.engine, "stu-a1", None)
    call = _alder(api)
    refused = call(f"{GB}/results/res-stu-a1", method="DELETE")
    unknown = call(f"{GB}/results/no-such-id", method="DELETE")
    assert _bare(refused, "res-stu-a1") == _bare(unknown, "no-such-id")


def test_a_visible_result_of_another_source_keeps_the_ownership_answer(api):
    reply = _alder(api)(f"{GB}/results/res-stu-a1", method="DELETE")
    assert reply.status_code == 403
    assert "belongs to source" in reply.get_data(as_text=True)


def _result(student: str, line_item: str) -> dict[str, Any]:
    return {"result": {"lineItem": {"sourcedId": line_item}, "student": {"sourcedId": student},
                       "scoreStatus": "fully graded", "score": 7,
                       "scoreDate": "2026-09-09"}}


def test_grading_an_invisible_student_answers_as_an_unknown_student(api):
    add_optout(api.engine, "stu-a1", None)
    call = _alder(api)
    refused = call(f"{GB}/results/r-new-1", method="PUT", json=_result("stu-a1", "li-a"))
    unknown = call(f"{GB}/results/r-new-1", method="PUT", json=_result("stu-zz9", "li-a"))
    assert refused.status_code == 422
    assert _bare(refused, "stu-a1") == _bare(unknown, "stu-zz9")
    assert call(f"{GB}/results/r-new-1").status_code == 404


def test_the_app_grades_on_a_line_item_it_wrote_itself(api):
    call = _alder(api)
    made = call(f"{GB}/lineItems/li-mine", method="PUT", json={"lineItem": {
        "title": "Mine", "assignDate": "2026-09-01T00:00:00Z",
        "dueDate": "2026-09-08T00:00:00Z", "class": {"sourcedId": "cls-a"},
        "category": {"sourcedId": "cat-hw"}, "gradingPeriod": {"sourcedId": "q1"},
        "resultValueMin": 0, "resultValueMax": 10}})
    assert made.status_code == 201, made.get_json()
    graded = call(f"{GB}/results/r-mine", method="PUT", json=_result("stu-a2", "li-mine"))
    assert graded.status_code == 201, graded.get_json()
