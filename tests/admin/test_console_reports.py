"""Reports from the disclosure log: a parent's record of disclosures (page and PDF, each app
with when, which fields, which agreement and purpose), a breach report for an app and a
window (CSV and PDF), and the disclosure pages with the hash chain verified."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader

USERS = "/ims/oneroster/rostering/v1p2/users?limit=1000"
RESULTS = "/ims/oneroster/gradebook/v1p2/results"


@pytest.fixture
def disclosed(district):
    """Two apps read the district: one the roster, one the roster and the gradebook."""
    math = district.register("Math Quest", purpose="assessment",
                             scopes=["roster.readonly", "gradebook.readonly"])
    reading = district.register("Reading Room", schools=["sch-b"])
    assert district.read(math, USERS).status_code == 200
    assert district.read(math, RESULTS).status_code == 200
    assert district.read(reading, USERS).status_code == 200
    return district


def _pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_a_parent_report_lists_every_app_when_which_fields_and_purpose(disclosed):
    admin = disclosed.browser()
    page = admin.get("/console/reports/parent?student=stu-a1").get_data(as_text=True)
    table = page.split('id="report-apps"')[1].split("</table>")[0]
    assert "Math Quest" in table and "Math Quest agreement" in table and "assessment" in table
    assert "Reading Room" not in table  # school B only: it never saw stu-a1
    assert "users.givenName" in table and "results.score" in table
    assert "<svg" in page and page.count("<title>") >= 2  # one tick per disclosure
    other = admin.get("/console/reports/parent?student=stu-b1").get_data(as_text=True)
    assert "Reading Room" in other and "Math Quest" in other


def test_the_parent_report_pdf_carries_the_same_facts(disclosed):
    response = disclosed.browser().get("/console/reports/parent.pdf?student=stu-a1")
    assert response.mimetype == "application/pdf"
    text = _pdf_text(response.data)
    assert "Record of disclosures" in text and "Ana Pupila" in text and "stu-a1" in text
    assert "Math Quest" in text and "assessment" in text and "Timeline" in text
    assert "Reading Room" not in text


def test_an_auditor_may_produce_reports(disclosed):
    from tests.admin.conftest import AUDITOR

    auditor = disclosed.browser(AUDITOR)
    assert auditor.get("/console/reports/parent.pdf?student=stu-a1").status_code == 200


def test_a_breach_report_names_each_student_the_app_was_sent_and_the_fields(disclosed):
    admin = disclosed.browser()
    math = disclosed.apps["Math Quest"][0]
    today = datetime.now(UTC).date()
    window = f"app={math}&since={today.isoformat()}&until={today.isoformat()}"
    response = admin.get(f"/console/reports/breach?{window}&format=csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    students = {r["student_id"] for r in rows}
    assert students == {f"stu-{s}{n}" for s in "ab" for n in range(1, 6)}
    ana = next(r for r in rows if r["student_id"] == "stu-a1")
    assert ana["student_name"] == "Ana Pupila" and ana["responses"] == "2"
    assert "users.givenName" in ana["fields"] and "results.score" in ana["fields"]
    earlier = (today - timedelta(days=10)).isoformat()
    empty = admin.get(f"/console/reports/breach?app={math}&since={earlier}&until={earlier}"
                      "&format=csv").get_data(as_text=True)
    assert empty.strip().count("\n") == 0  # the header alone
    text = _pdf_text(admin.get(f"/console/reports/breach?{window}&format=pdf").data)
    assert "Math Quest" in text and "stu-a1" in text and "10 student(s)" in text
    bad = admin.get(f"/console/reports/breach?app={math}&since=yesterday&until=today")
    assert bad.status_code == 400


def test_the_disclosure_pages_show_a_student_an_app_and_the_chain_intact(disclosed):
    admin = disclosed.browser()
    page = admin.get("/console/disclosures?student=stu-b1").get_data(as_text=True)
    assert "hash chain <strong class=\"ok\">intact</strong>" in page
    assert "Reading Room" in page and "Math Quest" in page
    math = disclosed.apps["Math Quest"][0]
    by_app = admin.get(f"/console/disclosures?app={math}").get_data(as_text=True)
    assert by_app.count("/ims/oneroster/") >= 2


def test_a_tampered_log_is_reported_broken(disclosed):
    from sqlalchemy import text

    admin = disclosed.browser()
    admin.get("/console/disclosures")  # moves the spool into the log
    with disclosed.engine.begin() as conn:
        conn.execute(text("UPDATE disclosures SET fields = 'users.nothing' WHERE id = 1"))
    page = admin.get("/console/disclosures").get_data(as_text=True)
    assert "BROKEN at disclosure 1" in page
