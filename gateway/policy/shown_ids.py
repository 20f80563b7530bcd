"""The ids an app under a pseudonymous agreement is shown, and the district's ids behind the
ones it sends back.

An agreement with `pseudonymous_ids` (gateway/policy/agreement.py) shows the app, instead of
the district's sourcedIds:
- for people: the app's pseudonym of each person (gateway/policy/pseudonyms.py, the one Ed-Fi's
  unique ids use), as a user's and a demographics record's sourcedId and in every reference to
  a user (enrollments, results, agents); and a pseudonym of every row that is one person's
  (enrollments, results), whose district ids often spell the person's (`e-<student>`) and would
  otherwise be a key two apps could join on. Rows the app wrote itself (its own results) keep
  the ids it gave them: it knows them already.
- for classes: the app's pseudonym of each class, as its sourcedId and in every reference to
  it (enrollments, line items, results, LTI's course_section_sourcedid).

Everything an app sends back (path parameters, filter values, gradebook writes) is mapped to
the district's id; a value that is none of this app's pseudonyms names nothing (NOWHERE), so
the district's own id answers exactly as an unknown one. Only the gateway can reverse a
pseudonym: the disclosure log and parents' reports keep naming the real student.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from gateway.model import ROSTER_TABLES
from gateway.policy.agreement import Agreement
from gateway.policy.pseudonyms import Pseudonyms, PseudonymStore

NOWHERE = ""  # a sourcedId no row has (the sync engine refuses empty ids)
# A family's own sourcedId -> the kind of pseudonym it is shown as.
OWN_KIND = {"users": "people", "demographics": "people", "enrollments": "enrollments",
            "results": "results", "classes": "classes"}
# A reference's target family -> the kind of pseudonym it is shown as.
REF_KIND = {"users": "people", "classes": "classes"}
# The agreement's setting each kind follows.
SETTING = {"people": "people", "enrollments": "people", "results": "people",
           "classes": "classes"}
# Kinds whose rows an app may write (its own keep their ids).
WRITABLE = frozenset({"enrollments", "results"})


def own_source(client_id: str) -> str:
    """The source an app's writes are owned by (OneRoster gradebook and Ed-Fi writes)."""
    return f"app:{client_id}"[:64]


class ShownIds:
    """One app's pseudonyms, within one read or write (one connection)."""

    def __init__(self, conn: Connection, store: PseudonymStore, app_id: int,
                 agreement: Agreement, source: str = "") -> None:
        self.conn = conn
        self.store = store
        self.app_id = app_id
        self.agreement = agreement
        self.source = source
        self._maps: dict[str, Pseudonyms] = {}

    def active(self, kind: str | None) -> bool:
        return kind is not None and self.agreement.pseudonymous(SETTING[kind])

    def _map(self, kind: str) -> Pseudonyms:
        found = self._maps.get(kind)
        if found is None:
            found = self._maps[kind] = self.store.for_app(self.conn, None, self.app_id, kind)
        return found

    def shown(self, kind: str | None, sourced_id: str) -> str:
        """What the app is shown for this row's id."""
        if not self.active(kind):
            return sourced_id
        assert kind is not None
        return self._map(kind).of(sourced_id)

    def shown_in(self, family: str, sourced_id: str) -> str:
        return self.shown(OWN_KIND.get(family), sourced_id)

    def shown_ref(self, target: str, sourced_id: str) -> str:
        return self.shown(REF_KIND.get(target), sourced_id)

    def real(self, kind: str | None, value: str) -> str:
        """The district's id behind a value the app sent: the row its pseudonym names, a row
        of its own (writable kinds), else NOWHERE."""
        if not self.active(kind):
            return value
        assert kind is not None
        found = self._map(kind).real(self.conn, value)
        if found is not None:
            return found
        if kind in WRITABLE and self.owns(kind, value):
            return value
        return NOWHERE

    def real_in(self, family: str, value: str) -> str:
        return self.real(OWN_KIND.get(family), value)

    def real_ref(self, target: str, value: str) -> str:
        return self.real(REF_KIND.get(target), value)

    def owns(self, kind: str, value: str) -> bool:
        if not self.source:
            return False
        table = ROSTER_TABLES[{"enrollments": "enrollments", "results": "results"}[kind]]
        return self.conn.execute(select(table.c.source).where(
            table.c.sourced_id == value)).scalar() == self.source
