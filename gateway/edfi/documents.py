"""Ed-Fi documents for the read engine: rendered from the page's rows inside the engine's
snapshot (gateway.policy.reads.RenderedDocuments), because what an app is shown differs per
app: person keys are pseudonyms unless the agreement grants identifiers, section keys carry
pseudonyms of classes where the agreement says so, and the agreement's field allowlist is the
app's read profile. The rows a page references (orgs, sessions, users, classes, demographics)
are read once per page by the policy layer's Lookups."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from adapters.edfi_mapping.resources import RESOURCES
from gateway.edfi.profiles import Profile
from gateway.edfi.serialize import EdFiSerializer, PersonKey
from gateway.policy.edfi.lookups import Lookups
from gateway.policy.edfi.rows import ROW_COLUMNS
from gateway.policy.edfi.stored import STORED_RESOURCES, fill
from gateway.policy.reads import ReadSession
from gateway.policy.shown_edfi_ids import EdFiIdCipher


@dataclass(frozen=True)
class EdFiDocuments:
    resource: str
    profile: Profile
    person_key: PersonKey | None = None
    column: str = "edfi"
    columns: tuple[str, ...] = ROW_COLUMNS
    ids: EdFiIdCipher | None = None  # the app's Ed-Fi ids (None: the district's)
    class_key: Callable[[str], str] | None = None  # the app's class pseudonyms (None: ids)

    def objects(self, session: ReadSession, rows: Sequence[Any]) -> list[dict[str, Any]]:
        look = Lookups(session.conn)
        if self.resource == "students" and "birthDate" in self.profile.shown:
            look.load("demographics", [r.sourced_id for r in rows])
        serializer = EdFiSerializer(look, self.person_key, self.profile.shown,
                                    None if self.ids is None else self.ids.shown,
                                    self.class_key)
        return [self.profile.apply(o) for o in serializer.render(self.resource, rows)]

    @property
    def stored(self) -> str | None:
        return self.resource if self.resource in STORED_RESOURCES else None

    def render(self, session: ReadSession, family: str,
               rows: Sequence[Any]) -> tuple[list[bytes], list[str]]:
        """Stored documents (gateway.policy.edfi.stored) get the app's person keys and, where
        its profile hides a property, its profile; rows without one are rendered here."""
        stored = [getattr(r, "stored_doc", None) for r in rows]
        missing = [r for r, doc in zip(rows, stored, strict=True) if doc is None]
        live = iter([orjson.dumps(o) for o in self.objects(session, missing)] if missing
                    else [])
        shown = self.person_key
        key = None if shown is None else (lambda sourced_id: shown(sourced_id, {}))
        documents = []
        for row, doc in zip(rows, stored, strict=True):
            if doc is None:
                documents.append(next(live))
                continue
            doc = fill(doc, row.stored_persons, key, self.ids)
            if self.profile.narrows:
                doc = orjson.dumps(self.profile.apply(orjson.loads(doc)))
            documents.append(doc)
        students = students_of(self.resource, rows) if RESOURCES[self.resource].student_bearing \
            else []
        return documents, students


def students_of(resource: str, rows: Sequence[Any]) -> list[str]:
    """The students a page discloses: the field its studentReference shows (a contact
    association's row is the contact's role; the student is its `student`), else `user`."""
    res = RESOURCES[resource]
    if res.family == "users":
        return [r.sourced_id for r in rows]
    ref = res.prop("studentReference")
    field = ref.sources[0].split(".")[1] if ref is not None and ref.sources else "user"
    return [orjson.loads(r.data)[field] for r in rows]
