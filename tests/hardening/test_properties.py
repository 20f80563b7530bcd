"""hypothesis properties (issue 11, section 5) for what clients control most: the OneRoster
filter parser, the paging parameters of both APIs, and Ed-Fi bodies.

- The filter parser either returns a tree or raises its own QueryError, for any text; a
  filter built from clauses parses back to exactly those clauses; and any filter text sent to
  the API is answered 200 or a 400 in the imsx format, never a 5xx, on each database.
- Paging: any text for limit/offset is a page within bounds or a QueryError; through both APIs
  any limit, offset, pageToken, pageSize or change version is a 200 or a 400 in the API's
  format.
- Ed-Fi bodies: any JSON value POSTed (and any value swapped into one property of a valid
  body) is answered without a 5xx, an error always as problem details.

GATEWAY_HYPOTHESIS_EXAMPLES sets the examples per property (default 40; the pure-parser
properties run 10x that), with a fixed seed (GATEWAY_HYPOTHESIS_SEED, default 11).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from gateway.oneroster.query import (
    MAX_CLAUSES,
    Comparison,
    Logical,
    Node,
    QueryError,
    parse_filter,
)
from gateway.oneroster.query_params import parse_page
from gateway.request_bounds import INT32_MAX
from tests.edfi import bodies
from tests.hardening.figures import record

EXAMPLES = int(os.environ.get("GATEWAY_HYPOTHESIS_EXAMPLES", "40"))
SEED = int(os.environ.get("GATEWAY_HYPOTHESIS_SEED", "11"))
OR12 = "/ims/oneroster/rostering/v1p2"
OR11 = "/ims/oneroster/v1p1"
EDFI = "/data/v3/ed-fi"
FIELDS = ["sourcedId", "status", "dateLastModified", "givenName", "familyName", "role",
          "enabledUser", "username", "email", "grades", "roles.role", "primaryOrg.sourcedId",
          "nonesuch", "metadata.x"]
OPERATORS = ["=", "!=", ">", ">=", "<", "<=", "~"]


def bounded(examples: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def wrap(test: Callable[..., Any]) -> Callable[..., Any]:
        return seed(SEED)(settings(max_examples=examples, database=None, deadline=None,
                                   suppress_health_check=list(HealthCheck))(test))
    return wrap


class Tally:
    """What a property tried, and what went wrong, for the figures and one clear assertion."""

    def __init__(self) -> None:
        self.tried = 0
        self.unsafe: list[str] = []

    def check(self, ok: bool, what: str) -> None:
        self.tried += 1
        if not ok:
            self.unsafe.append(what)

    def report(self, request: pytest.FixtureRequest, family: str) -> None:
        record(request, family, self.tried, self.tried - len(self.unsafe))
        assert not self.unsafe, self.unsafe[:5]


def _clauses(node: Node) -> list[Comparison]:
    if isinstance(node, Comparison):
        return [node]
    return _clauses(node.left) + _clauses(node.right)


def _encode(clause: Comparison) -> str:
    return f"{clause.field}{clause.op}'{clause.value.replace(chr(39), chr(39) * 2)}'"


CLAUSE = st.builds(Comparison, st.sampled_from(FIELDS), st.sampled_from(OPERATORS),
                   st.text(max_size=20))


def test_the_filter_parser_returns_a_tree_or_its_own_error_for_any_text(request) -> None:
    tally = Tally()

    @bounded(EXAMPLES * 10)
    @given(st.text(max_size=200) | st.builds("".join, st.lists(st.sampled_from(
        ["name", "=", "'", "''", " AND ", " OR ", "\\'", "(", "x", " ", ".", "'v'"]),
        max_size=30)))
    def prop(text: str) -> None:
        try:
            parse_filter(text)
            tally.check(True, text)
        except QueryError as exc:
            tally.check(exc.code_minor == "invalid_filter_field", f"{text!r}: {exc}")
        except Exception as exc:  # noqa: BLE001 - the property is that nothing else escapes
            tally.check(False, f"{text!r}: {type(exc).__name__}: {exc}")

    prop()
    tally.report(request, "hypothesis filter parser")


def test_filters_built_from_clauses_parse_back_to_those_clauses(request) -> None:
    tally = Tally()

    @bounded(EXAMPLES * 10)
    @given(st.lists(CLAUSE, min_size=1, max_size=MAX_CLAUSES),
           st.lists(st.sampled_from([" AND ", " OR ", " and ", "  OR  "]),
                    min_size=MAX_CLAUSES, max_size=MAX_CLAUSES))
    def prop(clauses: list[Comparison], joins: list[str]) -> None:
        text = _encode(clauses[0]) + "".join(
            join + _encode(clause) for join, clause in zip(joins, clauses[1:], strict=False))
        parsed = parse_filter(text)
        tally.check(_clauses(parsed) == clauses, text)
        if len(clauses) > 1:
            tally.check(isinstance(parsed, Logical), text)

    prop()
    tally.report(request, "hypothesis filter round trip")


def _imsx_or_ok(reply) -> bool:  # noqa: ANN001
    if reply.status_code == 200:
        return True
    body = reply.get_json(silent=True) or {}
    info = body["statusInfoSet"][0] if "statusInfoSet" in body else body
    return reply.status_code == 400 and info.get("imsx_codeMajor") == "failure"


def _problem_or_ok(reply) -> bool:  # noqa: ANN001
    if reply.status_code == 200:
        return True
    return (reply.status_code == 400 and reply.mimetype == "application/problem+json"
            and (reply.get_json(silent=True) or {}).get("status") == 400)


def test_any_filter_through_the_api_is_a_200_or_an_imsx_400(probe, request) -> None:
    tally = Tally()

    @bounded(EXAMPLES)
    @given(st.sampled_from([OR12, OR11]),
           st.sampled_from(["users", "classes", "enrollments", "orgs"]),
           st.lists(CLAUSE, min_size=1, max_size=3) | st.text(max_size=60).map(
               lambda text: [Comparison("raw", "=", text)]))
    def prop(base: str, family: str, clauses: list[Comparison]) -> None:
        text = clauses[0].value if clauses[0].field == "raw" else \
            " AND ".join(_encode(clause) for clause in clauses)
        reply = probe.call("GET", f"{base}/{family}?filter={quote(text, safe='')}")
        tally.check(_imsx_or_ok(reply), f"{base}/{family} {text!r} -> {reply.status_code}")

    prop()
    tally.report(request, "hypothesis filter via API")


NUMBERISH = (st.integers(min_value=-(2**70), max_value=2**70).map(str)
             | st.text(alphabet="0123456789 +-_.e", max_size=30)
             | st.text(max_size=20)
             | st.integers(min_value=4000, max_value=6000).map(lambda n: "9" * n))


def test_oneroster_paging_is_within_bounds_or_refused(request) -> None:
    tally = Tally()

    @bounded(EXAMPLES * 10)
    @given(st.none() | NUMBERISH, st.none() | NUMBERISH)
    def prop(limit: str | None, offset: str | None) -> None:
        try:
            page = parse_page(limit, offset, maximum=1000)
        except QueryError:
            tally.check(True, "")
            return
        except Exception as exc:  # noqa: BLE001 - the property is that nothing else escapes
            tally.check(False, f"{limit!r:.40} {offset!r:.40}: {type(exc).__name__}")
            return
        tally.check(1 <= page.limit <= 1000 and 0 <= page.offset <= INT32_MAX,
                    f"{limit!r:.40} {offset!r:.40} -> {page}")

    prop()
    tally.report(request, "hypothesis paging (parser)")


def test_paging_parameters_through_both_apis_are_a_200_or_a_400(probe, request) -> None:
    tally = Tally()

    @bounded(EXAMPLES)
    @given(st.sampled_from(["limit", "offset"]), NUMBERISH,
           st.sampled_from(["offset", "limit", "pageSize", "pageToken", "minChangeVersion",
                            "maxChangeVersion", "totalCount"]),
           NUMBERISH | st.binary(max_size=40).map(lambda b: b.hex()),
           st.sampled_from(["/students", "/schools", "/sections/deletes",
                            "/students/keyChanges"]))
    def prop(or_name: str, or_value: str, edfi_name: str, edfi_value: str,
             resource: str) -> None:
        reply = probe.call("GET", f"{OR12}/users?{or_name}={quote(or_value, safe='')}")
        tally.check(_imsx_or_ok(reply), f"oneroster {or_name}={or_value[:40]!r}")
        reply = probe.call("GET",
                           f"{EDFI}{resource}?{edfi_name}={quote(edfi_value, safe='')}")
        tally.check(_problem_or_ok(reply),
                    f"edfi {resource} {edfi_name}={edfi_value[:40]!r} -> {reply.status_code}")

    prop()
    tally.report(request, "hypothesis paging via API")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                 max_size=4),
    max_leaves=20)
VALID = {"students": bodies.STUDENT, "schools": bodies.SCHOOL,
         "studentSchoolAssociations": bodies.ENROLMENT, "sessions": bodies.session(),
         "courses": bodies.course()}


def _edfi_answer_ok(reply) -> bool:  # noqa: ANN001
    if reply.status_code >= 500:
        return False
    if reply.status_code >= 400:
        return reply.mimetype == "application/problem+json"
    return True


def test_any_edfi_body_is_answered_without_a_5xx(probe, request) -> None:
    tally = Tally()

    @bounded(EXAMPLES)
    @given(st.sampled_from(sorted(VALID)), JSON | st.dictionaries(
        st.sampled_from(sorted({k for body in VALID.values() for k in body})), JSON,
        max_size=6))
    def prop(resource: str, body: Any) -> None:
        reply = probe.call("POST", f"{EDFI}/{resource}", json=body)
        tally.check(_edfi_answer_ok(reply), f"{resource} {body!r:.200} -> {reply.status_code}")

    prop()
    tally.report(request, "hypothesis Ed-Fi bodies")


def test_a_valid_edfi_body_with_one_property_swapped_is_answered_without_a_5xx(
        probe, request) -> None:
    tally = Tally()

    @bounded(EXAMPLES)
    @given(st.sampled_from(sorted(VALID)), st.data())
    def prop(resource: str, data: st.DataObject) -> None:
        body = dict(VALID[resource])
        name = data.draw(st.sampled_from(sorted(body)))
        body[name] = data.draw(JSON)
        reply = probe.call("POST", f"{EDFI}/{resource}", json=body)
        tally.check(_edfi_answer_ok(reply),
                    f"{resource}.{name}={body[name]!r:.120} -> {reply.status_code}")

    prop()
    tally.report(request, "hypothesis Ed-Fi bodies (one property)")
