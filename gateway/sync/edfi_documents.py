"""Ed-Fi documents kept in step with their rows, like OneRoster's (gateway.sync.documents).

The large student-bearing resources (people, and the role-based associations) are rendered
when a run changes their rows or a row they embed, in the run's own transaction, so a page is
a range scan plus a substitution instead of 500 objects built per request. What differs per
app is left open: each person key (studentUniqueId, staffUniqueId, contactUniqueId) is stored
as a placeholder and `persons` lists, in order, whom each names and the district's unique id
for it; a read fills in the app's own key (`fill`), and narrows to its profile where the
profile hides a property. A row without a stored document is rendered at read time, so a
resource or row not covered here is served as before.

What a document embeds, and so what marks it for rendering again:
- students/staffs/contacts (users): the user row; a student's demographics (birthDate); the
  roles that put the user in the resource (a changed role re-renders its user);
- the associations (roles): the role row; the users it names (keys, grades, e-mail); the
  student's demographics; and orgs and sessions (education organization ids, the school
  year's start), whose change (rare: a new school, a new year) re-renders every association.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, delete, select

from adapters.edfi_mapping import derived_keys
from adapters.edfi_mapping.resources import RESOURCES
from gateway.edfi.serialize import EdFiSerializer
from gateway.model import EDFI_DOCUMENTS, ROSTER_TABLES
from gateway.policy.edfi.lookups import Lookups
from gateway.policy.edfi.rows import ROW_COLUMNS
from gateway.policy.edfi.stored import PLACEHOLDER, STORED_RESOURCES
from gateway.policy.edfi.subsets import subset
from gateway.sync.staging import write_many

STORED: dict[str, tuple[str, ...]] = {
    "users": ("students", "staffs", "contacts"),
    "roles": ("studentSchoolAssociations", "studentEducationOrganizationAssociations",
              "staffEducationOrganizationAssignmentAssociations",
              "studentContactAssociations"),
}
MARK_PREFIX = "edfi:"  # document marks of Ed-Fi families ("edfi:users")
_NUMBERED = re.compile(rb'"\\u0001(\d+)\\u0001"')
assert STORED_RESOURCES == {r for group in STORED.values() for r in group}
_COLUMNS = ["resource", "sourced_id", "doc", "persons"]
FORMAT_VERSION = 1  # bump when the rendering changes: stores are rendered again on open


def mark_family(family: str) -> str:
    return MARK_PREFIX + family


class _Persons:
    """The person keys a batch's rendering asked for, each answered with a numbered
    placeholder."""

    def __init__(self) -> None:
        self.named: list[tuple[str, str]] = []

    def __call__(self, sourced_id: str, data: dict[str, Any]) -> str:
        self.named.append((sourced_id, derived_keys.unique_id(sourced_id, data)))
        return f"\x01{len(self.named) - 1}\x01"

    def stored(self, rendered: bytes) -> tuple[bytes, str]:
        """The document with plain placeholders, and the persons they name, in order."""
        persons = [self.named[int(n)] for n in _NUMBERED.findall(rendered)]
        return _NUMBERED.sub(lambda _m: PLACEHOLDER, rendered), orjson.dumps(persons).decode()


def render_resource(conn: Connection, resource: str, ids: Sequence[str],
                    look: Lookups | None = None) -> int:
    """Store the documents of `resource` for those of `ids` it covers; the count stored.
    `look` may be shared by the resources of one batch (they name the same users)."""
    family = RESOURCES[resource].family
    table = ROSTER_TABLES[family]
    rows = conn.execute(select(*[table.c[c] for c in ROW_COLUMNS]).where(
        table.c.sourced_id.in_(list(ids)), subset(resource, any_status=True))
        .order_by(table.c.sourced_id)).all()
    if not rows:
        return 0
    look = look or Lookups(conn)
    if resource == "students":
        look.load("demographics", [r.sourced_id for r in rows])
    persons = _Persons()
    objects = EdFiSerializer(look, persons).render(resource, rows)
    stored = [persons.stored(orjson.dumps(o)) for o in objects]
    # The driver's own bulk path (executemany / COPY): SQLAlchemy's binding of a dict per row
    # cost as much as rendering it.
    write_many(conn, EDFI_DOCUMENTS.name, _COLUMNS,
               [(resource, row.sourced_id, doc, named)
                for row, (doc, named) in zip(rows, stored, strict=True)])
    return len(rows)


def render_batch(conn: Connection, family: str, ids: Sequence[str]) -> int:
    """Render again every stored Ed-Fi resource of `family` for these rows."""
    resources = STORED.get(family, ())
    if not resources:
        return 0
    conn.execute(delete(EDFI_DOCUMENTS).where(EDFI_DOCUMENTS.c.resource.in_(resources),
                                              EDFI_DOCUMENTS.c.sourced_id.in_(list(ids))))
    look = Lookups(conn)
    return sum(render_resource(conn, resource, ids, look) for resource in resources)


