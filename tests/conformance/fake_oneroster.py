"""A small, correct OneRoster 1.2 server for the suite's self-tests, with switchable defects.

It is deliberately independent of the gateway: the suite must judge any server, so its own
tests use a server written only from the standard. Each defect in DEFECTS breaks one rule.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

DEFECTS = {
    "no-total-count",  # collections lack X-Total-Count
    "two-keys",  # collection envelopes carry a second top-level key
    "bad-filter-200",  # an unusable filter is ignored instead of answered with 400
    "leaking-field",  # fields= is ignored, so unrequested fields leak
    "wrong-sort",  # orderBy=desc is ignored
    "or-escapes-scope",  # the policy is ANDed with a user filter without parentheses
    "org-without-identifier",  # orgs leave out identifier, which 1.2 requires
}
CLIENTS = {"app": "app-secret", "other": "other-secret"}
OPTED_OUT = "u-opted-out"
FORBIDDEN_SCHOOL = "org-school-2"
SCOPE_PREFIX = "https://purl.imsglobal.org/spec/or/v1p2/scope/"
ALL_SCOPES = {
    "roster-core.readonly", "roster.readonly", "roster-demographics.readonly",
    "gradebook.readonly", "gradebook.createput", "gradebook.delete", "resource.readonly",
}
CLAUSE = re.compile(r"^\s*([A-Za-z]+(?:\.[A-Za-z]+)?)\s*(!=|>=|<=|=|>|<|~)\s*'([^']*)'\s*$")


def ref(kind: str, sourced_id: str) -> dict[str, str]:
    return {"href": f"https://fake.test/{kind}/{sourced_id}", "sourcedId": sourced_id,
            "type": kind}


def stamp(day: int) -> str:
    return f"2024-01-{day:02d}T08:00:00.000Z"


def build_data() -> dict[str, list[dict[str, Any]]]:
    base = {"status": "active"}
    orgs = [
        {**base, "sourcedId": "org-district", "dateLastModified": stamp(1), "name": "District",
         "type": "district", "identifier": "D1"},
        {**base, "sourcedId": "org-school-1", "dateLastModified": stamp(2), "name": "North High",
         "type": "school", "identifier": "S1", "parent": ref("org", "org-district")},
        {**base, "sourcedId": FORBIDDEN_SCHOOL, "dateLastModified": stamp(3),
         "name": "South High", "type": "school", "identifier": "S2",
         "parent": ref("org", "org-district")},
        {**base, "sourcedId": "org-school-3", "dateLastModified": stamp(4), "name": "East High",
         "type": "school", "identifier": "S3", "parent": ref("org", "org-district")},
    ]
    people = [("u-01", "Ada", "Lovelace", "student", "org-school-1"),
              ("u-02", "Alan", "Turing", "student", "org-school-1"),
              ("u-03", "Grace", "Hopper", "teacher", "org-school-1"),
              ("u-04", "Edsger", "Dijkstra", "student", "org-school-3"),
              ("u-05", "Barbara", "Liskov", "teacher", "org-school-3"),
              ("u-06", "Donald", "Knuth", "student", "org-school-1"),
              ("u-07", "Frances", "Allen", "student", FORBIDDEN_SCHOOL),
              (OPTED_OUT, "Opted", "Out", "student", "org-school-1")]
    users = [
        {**base, "sourcedId": sid, "dateLastModified": stamp(5 + n), "enabledUser": "true",
         "givenName": given, "familyName": family, "email": f"{sid}@fake.test",
         "roles": [{"roleType": "primary", "role": role, "org": ref("org", school)}]}
        for n, (sid, given, family, role, school) in enumerate(people)
    ]
    sessions = [
        {**base, "sourcedId": "as-year", "dateLastModified": stamp(2), "title": "2024",
         "startDate": "2023-08-01", "endDate": "2024-06-30", "type": "schoolYear",
         "schoolYear": "2024"},
        {**base, "sourcedId": "as-term-1", "dateLastModified": stamp(3), "title": "Fall",
         "startDate": "2023-08-01", "endDate": "2023-12-20", "type": "term", "schoolYear": "2024",
         "parent": ref("academicSession", "as-year")},
        {**base, "sourcedId": "as-gp-1", "dateLastModified": stamp(4), "title": "Q1",
         "startDate": "2023-08-01", "endDate": "2023-10-15", "type": "gradingPeriod",
         "schoolYear": "2024", "parent": ref("academicSession", "as-term-1")},
    ]
    courses = [{**base, "sourcedId": f"course-{s}", "dateLastModified": stamp(2),
                "title": f"Math {s}", "courseCode": f"M-{s}", "org": ref("org", f"org-school-{s}")}
               for s in (1, 2, 3)]
    classes = [{**base, "sourcedId": f"class-{s}", "dateLastModified": stamp(3),
                "title": f"Math {s} A", "course": ref("course", f"course-{s}"),
                "school": ref("org", f"org-school-{s}"),
                "terms": [ref("academicSession", "as-term-1")]} for s in (1, 2, 3)]
    enrollments = [
        {**base, "sourcedId": f"enr-{user['sourcedId']}", "dateLastModified": stamp(6),
         "user": ref("user", user["sourcedId"]),
         "class": ref("class", "class-" + user["roles"][0]["org"]["sourcedId"][-1]),
         "school": user["roles"][0]["org"], "role": user["roles"][0]["role"]}
        for user in users
    ]
    categories = [{**base, "sourcedId": "cat-1", "dateLastModified": stamp(7),
                   "title": "Homework"}]
    return {"orgs": orgs, "users": users, "academicSessions": sessions, "courses": courses,
            "classes": classes, "enrollments": enrollments, "demographics": [],
            "categories": categories, "lineItems": [], "results": [], "scoreScales": [],
            "resources": []}


def dig(item: Any, dotted: str) -> Any:
    for step in dotted.split("."):
        item = item.get(step) if isinstance(item, dict) else None
    return item


class BadQuery(Exception):
    def __init__(self, minor: str, text: str) -> None:
        super().__init__(text)
        self.minor = minor


class FakeOneRoster:
    """A WSGI-ish handler for pytest-httpserver: `respond_with_handler(fake.handle)`."""

    def __init__(self, defects: set[str] | None = None) -> None:
        unknown = (defects or set()) - DEFECTS
        assert not unknown, f"unknown defects {unknown}"
        self.defects = defects or set()
        self.data = build_data()
        if "org-without-identifier" in self.defects:
            for org in self.data["orgs"]:
                del org["identifier"]
        self.tokens: dict[str, tuple[str, set[str]]] = {}

    # -- policy: what the app "app" may see -----------------------------------------------

    def visible(self, family: str, item: dict[str, Any]) -> bool:
        school_of = {
            "orgs": item.get("sourcedId"),
            "users": dig(item, "roles")[0]["org"]["sourcedId"] if family == "users" else None,
            "classes": dig(item, "school.sourcedId"),
            "courses": dig(item, "org.sourcedId"),
            "enrollments": dig(item, "school.sourcedId"),
        }.get(family)
        if school_of == FORBIDDEN_SCHOOL:
            return False
        user = item.get("sourcedId") if family == "users" else dig(item, "user.sourcedId")
        return user != OPTED_OUT

    # -- routing ----------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        path = request.path
        if path == "/oauth/token":
            return self.token(request)
        if path == "/oauth/revoke":
            return self.revoke(request)
        match = re.match(r"^/ims/oneroster/(rostering|gradebook|resources)/v1p2(/.*)$", path)
        if not match:
            return self.error(404, "unknownobject", "no such route")
        token = self.tokens.get(request.headers.get("Authorization", "").removeprefix("Bearer "))
        if token is None:
            return self.error(401, "unauthorisedrequest", "missing or invalid token")
        service, route = match.groups()
        try:
            return self.route(request, service, route, token[1])
        except BadQuery as exc:
            return self.error(400, exc.minor, str(exc))

    def route(self, request: Request, service: str, route: str, scopes: set[str]) -> Response:
        parts = route.strip("/").split("/")
        needed = {"rostering": {"roster-core.readonly", "roster.readonly"},
                  "gradebook": {"gradebook.readonly"},
                  "resources": {"resource.readonly"}}[service]
        if parts[0] == "demographics":
            needed = {"roster-demographics.readonly"}
        if request.method == "PUT":
            needed = {"gradebook.createput"}
        if request.method == "DELETE":
            needed = {"gradebook.delete"}
        if not needed & scopes:
            return self.error(403, "forbidden", "insufficient scope")
        if service == "gradebook" and request.method in ("PUT", "DELETE"):
            return self.write(request, parts)
        return self.read(request, service, parts)

    VIEWS: dict[str, tuple[str, str, Callable[[dict[str, Any]], bool]]] = {
        "academicSessions": ("academicSessions", "academicSession", lambda i: True),
        "terms": ("academicSessions", "academicSession", lambda i: i["type"] == "term"),
        "gradingPeriods": ("academicSessions", "academicSession",
                           lambda i: i["type"] == "gradingPeriod"),
        "orgs": ("orgs", "org", lambda i: True),
        "schools": ("orgs", "org", lambda i: i["type"] == "school"),
        "users": ("users", "user", lambda i: True),
        "students": ("users", "user", lambda i: i["roles"][0]["role"] == "student"),
        "teachers": ("users", "user", lambda i: i["roles"][0]["role"] == "teacher"),
        "classes": ("classes", "class", lambda i: True),
        "courses": ("courses", "course", lambda i: True),
        "enrollments": ("enrollments", "enrollment", lambda i: True),
        "demographics": ("demographics", "demographics", lambda i: True),
        "categories": ("categories", "category", lambda i: True),
        "lineItems": ("lineItems", "lineItem", lambda i: True),
        "results": ("results", "result", lambda i: True),
        "scoreScales": ("scoreScales", "scoreScale", lambda i: True),
        "resources": ("resources", "resource", lambda i: True),
    }
    ENVELOPES = {"academicSessions": "academicSessions", "orgs": "orgs", "users": "users",
                 "classes": "classes", "courses": "courses", "enrollments": "enrollments",
                 "demographics": "demographics", "categories": "categories",
                 "lineItems": "lineItems", "results": "results", "scoreScales": "scoreScales",
                 "resources": "resources"}

    def find(self, view: str, sourced_id: str) -> dict[str, Any] | None:
        family, _, keep = self.VIEWS[view]
        for item in self.data[family]:
            if item["sourcedId"] == sourced_id and keep(item) and self.visible(family, item):
                return item
        return None

    def read(self, request: Request, service: str, parts: list[str]) -> Response:
        view = parts[0]
        if view not in self.VIEWS:
            return self.error(404, "unknownobject", "no such collection")
        if len(parts) == 2:
            item = self.find(view, parts[1])
            if item is None:
                return self.error(404, "unknownobject", f"no {view} {parts[1]}")
            return self.json({self.VIEWS[view][1]: self.project(request, [item])[0]})
        family, _, keep = self.VIEWS[view]
        scope: Callable[[dict[str, Any]], bool] = keep
        if len(parts) >= 3:
            parents = list(zip(parts[0::2], parts[1::2], strict=False))
            for parent_view, parent_id in parents:
                if self.find(parent_view, parent_id) is None:
                    return self.error(404, "unknownobject", f"no {parent_view} {parent_id}")
            family, scope = self.nested(parents, parts[-1])
        items = [i for i in self.data[family] if scope(i)]
        return self.collection(request, family, items)

    def nested(self, parents: list[tuple[str, str]], child: str
               ) -> tuple[str, Callable[[dict[str, Any]], bool]]:
        """Nested collections as a family plus a predicate; enough for the self-tests."""
        (view, pid) = parents[-1]
        enrolled = {(dig(e, "user.sourcedId"), dig(e, "class.sourcedId"))
                    for e in self.data["enrollments"]}
        if child in ("students", "teachers"):
            role = child[:-1]
            if view == "classes":
                return "users", lambda u: (u["sourcedId"], pid) in enrolled and \
                    u["roles"][0]["role"] == role
            return "users", lambda u: u["roles"][0]["org"]["sourcedId"] == pid and \
                u["roles"][0]["role"] == role
        if child == "classes":
            key = {"schools": "school.sourcedId", "courses": "course.sourcedId"}.get(view)
            if key:
                return "classes", lambda c: dig(c, key) == pid
            if view == "terms":
                return "classes", lambda c: any(t["sourcedId"] == pid for t in c["terms"])
            return "classes", lambda c: (pid, c["sourcedId"]) in enrolled
        if child == "enrollments":
            key = "class.sourcedId" if view == "classes" else "school.sourcedId"
            return "enrollments", lambda e: dig(e, key) == pid
        if child == "courses":
            return "courses", lambda c: dig(c, "org.sourcedId") == pid
        if child in ("terms", "gradingPeriods"):
            kind = "term" if child == "terms" else "gradingPeriod"
            return "academicSessions", lambda s: s["type"] == kind
        return self.VIEWS[child][0], lambda i: dig(i, "class.sourcedId") == pid

    # -- query language -----------------------------------------------------------------------

    def collection(self, request: Request, family: str, items: list[dict[str, Any]]) -> Response:
        args = request.args
        predicate = self.parse_filter(args.get("filter"), family)
        if predicate and "or-escapes-scope" in self.defects and " OR " in args["filter"]:
            first, second = (self.parse_filter(p, family) for p in args["filter"].split(" OR "))
            assert first is not None and second is not None
            items = [i for i in items if (self.visible(family, i) and first(i)) or second(i)]
        else:
            items = [i for i in items if self.visible(family, i)
                     and (predicate is None or predicate(i))]
        sort = args.get("sort")
        items.sort(key=lambda i: i["sourcedId"])
        if sort:
            items.sort(key=lambda i: str(dig(i, sort) or ""),
                       reverse=args.get("orderBy") == "desc" and "wrong-sort" not in self.defects)
        try:
            limit = int(args.get("limit", "100"))
            offset = int(args.get("offset", "0"))
        except ValueError as exc:
            raise BadQuery("invaliddata", "limit and offset are integers") from exc
        if limit < 1 or offset < 0:
            raise BadQuery("invaliddata", "limit must be positive")
        page = self.project(request, items[offset:offset + limit])
        body: dict[str, Any] = {self.ENVELOPES[family]: page}
        if "two-keys" in self.defects:
            body["totalCount"] = len(items)
        response = self.json(body)
        if "no-total-count" not in self.defects:
            response.headers["X-Total-Count"] = str(len(items))
        response.headers["Link"] = self.links(request, len(items), limit, offset)
        return response

    def links(self, request: Request, total: int, limit: int, offset: int) -> str:
        def url(at: int) -> str:
            query = {k: v for k, v in request.args.items() if k not in ("limit", "offset")}
            return f"{request.base_url}?{urlencode({**query, 'limit': limit, 'offset': at})}"

        rels = {"first": 0, "last": ((max(total, 1) - 1) // limit) * limit}
        if offset + limit < total:
            rels["next"] = offset + limit
        if offset > 0:
            rels["prev"] = max(0, offset - limit)
        return ", ".join(f'<{url(at)}>; rel="{rel}"' for rel, at in rels.items())

    def parse_filter(self, text: str | None, family: str
                     ) -> Callable[[dict[str, Any]], bool] | None:
        if not text:
            return None
        joiner = " OR " if " OR " in text else " AND "
        clauses = []
        for part in text.split(joiner):
            match = CLAUSE.match(part)
            if not match:
                if "bad-filter-200" in self.defects:
                    return None
                raise BadQuery("invalid_filter_field", f"cannot parse {part!r}")
            field, op, value = match.groups()
            known = {k for i in self.data[family] for k in i} | {"sourcedId", "status"}
            if field.split(".")[0] not in known:
                if "bad-filter-200" in self.defects:
                    return None
                raise BadQuery("invalid_filter_field", f"unknown field {field!r}")
            clauses.append((field, op, value))

        def holds(item: dict[str, Any], field: str, op: str, value: str) -> bool:
            got = dig(item, field)
            if got is None:
                return False
            got = str(got)
            return {"=": got == value, "!=": got != value, ">": got > value,
                    ">=": got >= value, "<": got < value, "<=": got <= value,
                    "~": value.lower() in got.lower()}[op]

        combine = any if joiner == " OR " else all
        return lambda item: combine(holds(item, *c) for c in clauses)

    def project(self, request: Request, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        fields = [f for f in request.args.get("fields", "").split(",") if f]
        if not fields or "leaking-field" in self.defects:
            return items
        known = {k for i in items for k in i} | {"sourcedId", "status", "dateLastModified",
                                                  "givenName", "familyName", "email"}
        unknown = [f for f in fields if f not in known]
        if unknown:
            raise BadQuery("invalid_selection_field", f"unknown fields {unknown}")
        return [{k: v for k, v in i.items() if k in fields} for i in items]

    # -- writes, tokens, errors -----------------------------------------------------------------

    def write(self, request: Request, parts: list[str]) -> Response:
        if len(parts) != 2 or parts[0] not in ("categories", "lineItems"):
            return self.error(404, "unknownobject", "not writable")
        family, key = self.VIEWS[parts[0]][0], self.VIEWS[parts[0]][1]
        store = self.data[family]
        existing = next((i for i in store if i["sourcedId"] == parts[1]), None)
        if request.method == "DELETE":
            if existing is None:
                return self.error(404, "unknownobject", "no such object")
            store.remove(existing)
            return Response(status=204)
        body = (request.get_json(silent=True) or {}).get(key)
        if not isinstance(body, dict) or body.get("sourcedId") != parts[1]:
            return self.error(422, "invaliddata", "body must match the path")
        if existing is not None:
            store.remove(existing)
        store.append(body)
        return Response(status=200 if existing else 201)

    def token(self, request: Request) -> Response:
        client_id, secret = request.form.get("client_id"), request.form.get("client_secret")
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        if CLIENTS.get(client_id or "") != secret:
            return self.json({"error": "invalid_client"}, 401)
        if request.form.get("grant_type") != "client_credentials":
            return self.json({"error": "unsupported_grant_type"}, 400)
        asked = request.form.get("scope")
        wanted = {s.removeprefix(SCOPE_PREFIX) for s in asked.split()} if asked else ALL_SCOPES
        granted = wanted & ALL_SCOPES
        token = secrets.token_hex(16)
        self.tokens[token] = (client_id or "", granted)
        return self.json({"access_token": token, "token_type": "Bearer", "expires_in": 3600,
                          "scope": " ".join(SCOPE_PREFIX + s for s in sorted(granted))})

    def revoke(self, request: Request) -> Response:
        header = request.headers.get("Authorization", "")
        decoded = base64.b64decode(header.removeprefix("Basic ")).decode()
        client_id, _, secret = decoded.partition(":")
        if CLIENTS.get(client_id) != secret:
            return self.json({"error": "invalid_client"}, 401)
        token = request.form.get("token", "")
        if self.tokens.get(token, ("",))[0] == client_id:
            self.tokens.pop(token)
        return Response(status=200)

    @staticmethod
    def json(body: Any, status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json")

    def error(self, status: int, minor: str, text: str) -> Response:
        return self.json({
            "imsx_codeMajor": "failure", "imsx_severity": "error", "imsx_description": text,
            "imsx_CodeMinor": {"imsx_codeMinorField": [
                {"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": minor}
            ]},
        }, status)
