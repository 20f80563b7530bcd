"""What the API benchmark asks for: the endpoints, each a rotation of concrete request paths
found through the API itself (schools, user ids, the user count), and the recorded answers the
ceiling replays.

Every path is percent-encoded once, here, so the gateway, the recorder and the ceiling all see
the same request target byte for byte.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

ROSTERING = "/ims/oneroster/rostering/v1p2"
EDFI = "/data/v3/ed-fi"
PAGE = 100
EDFI_PAGE = 500
ROTATION = 50  # distinct paths per collection endpoint
SINGLE_USERS = 200
DEEP_OFFSET = 90_000
RECORDED_HEADERS = ("content-type", "x-total-count", "link", "x-request-id", "total-count",
                    "next-page-token")


@dataclass(frozen=True)
class Endpoint:
    name: str
    paths: tuple[str, ...]
    collection: bool
    carries_students: bool  # its answers go to the disclosure log


@dataclass(frozen=True)
class Workload:
    endpoints: tuple[Endpoint, ...]
    first_page: Endpoint
    deep_page: Endpoint
    deep_offset: int
    users: int


class Api:
    """GETs against one served gateway with a bearer token; any answer but 200 ends the bench
    with the path, the status and the body, because a benchmark of error pages measures
    nothing."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            conn.request("GET", path, headers=self.headers)
            response = conn.getresponse()
            body = response.read()
        finally:
            conn.close()
        if response.status != 200:
            raise SystemExit(f"GET {path} answered {response.status}: "
                             f"{body[:500].decode('utf-8', 'replace')}")
        headers = [(k, v) for k, v in response.getheaders() if k.lower() in RECORDED_HEADERS]
        return response.status, headers, body

    def json(self, path: str) -> tuple[dict, dict[str, str]]:
        _status, headers, body = self.get(path)
        return json.loads(body), {k.lower(): v for k, v in headers}


def _query(**params: str | int) -> str:
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def _spread(count: int, top: int) -> list[int]:
    """`count` page offsets spread evenly over [0, top], multiples of the page size."""
    if top <= 0:
        return [0]
    step = max(PAGE, top // max(1, count - 1) // PAGE * PAGE)
    return list(range(0, top + 1, step))[:count]


def discover(api: Api) -> Workload:
    schools_doc, _ = api.json(f"{ROSTERING}/schools?{_query(limit=1000)}")
    schools = sorted(org["sourcedId"] for org in schools_doc["orgs"])[:ROTATION]
    if not schools:
        raise SystemExit("the district has no schools: nothing to benchmark")
    _doc, headers = api.json(f"{ROSTERING}/users?{_query(limit=1)}")
    users = int(headers["x-total-count"])
    last_page = max(0, users - PAGE)
    pages = [f"{ROSTERING}/users?{_query(limit=PAGE, offset=k)}"
             for k in _spread(ROTATION, last_page)]
    classes = [f"{ROSTERING}/classes?" + _query(
        filter=f"school.sourcedId='{s}' AND classType='scheduled'", limit=PAGE)
        for s in schools]
    enrollments = [f"{ROSTERING}/schools/{s}/enrollments?{_query(limit=PAGE)}" for s in schools]
    ids: list[str] = []
    for path in pages:
        doc, _ = api.json(path)
        ids += [u["sourcedId"] for u in doc["users"][:max(1, SINGLE_USERS // len(pages))]]
    singles = [f"{ROSTERING}/users/{urllib.parse.quote(i, safe='')}" for i in ids]
    deep = min(DEEP_OFFSET, last_page)
    students = _edfi_pages(api, "students")
    associations = _edfi_pages(api, "studentSchoolAssociations")
    return Workload(
        endpoints=(
            Endpoint("users, varying offsets", tuple(pages), True, True),
            Endpoint("classes, filtered by school", tuple(classes), True, False),
            Endpoint("enrollments of a school", tuple(enrollments), True, True),
            Endpoint("single user", tuple(singles), False, True),
            Endpoint("Ed-Fi students, 500", tuple(students), True, True),
            Endpoint("Ed-Fi school associations, 500", tuple(associations), True, True),
        ),
        first_page=Endpoint("users, offset 0", (f"{ROSTERING}/users?{_query(limit=PAGE)}",),
                            True, True),
        deep_page=Endpoint(f"users, offset {deep:,}",
                           (f"{ROSTERING}/users?{_query(limit=PAGE, offset=deep)}",), True, True),
        deep_offset=deep,
        users=users,
    )


def _edfi_pages(api: Api, resource: str) -> list[str]:
    """Pages of 500 at offsets spread over the whole Ed-Fi collection."""
    _doc, headers = api.json(f"{EDFI}/{resource}?{_query(limit=1, totalCount='true')}")
    total = int(headers["total-count"])
    return [f"{EDFI}/{resource}?{_query(limit=EDFI_PAGE, offset=k)}"
            for k in _spread(ROTATION, max(0, total - EDFI_PAGE))]


def record(api: Api, workload: Workload) -> dict[str, tuple[int, list[tuple[str, str]], bytes]]:
    """The gateway's answer to every path of the workload, for the ceiling to replay."""
    answers = {}
    for endpoint in (*workload.endpoints, workload.first_page, workload.deep_page):
        for path in endpoint.paths:
            if path not in answers:
                answers[path] = api.get(path)
    return answers


def warm(api: Api, workload: Workload, workers: int) -> None:
    """Every worker's caches filled before a measurement (a listing's page anchors and count,
    the pseudonym key): each endpoint's first and last path (a deep page builds the anchors)
    from two connections per worker at once,
    so a fresh server is not measured while its workers fill them."""
    with ThreadPoolExecutor(max_workers=2 * workers) as pool:
        for endpoint in (*workload.endpoints, workload.first_page, workload.deep_page):
            for path in dict.fromkeys((endpoint.paths[0], endpoint.paths[-1])):
                list(pool.map(api.get, [path] * (2 * workers)))
