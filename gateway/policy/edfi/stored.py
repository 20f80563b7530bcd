"""Reading the Ed-Fi documents the sync engine stores (gateway/sync/edfi_documents.py): which
resources have them, and filling in an app's person keys.

A stored document is the object as every app sees it except for person keys, each a
placeholder; `persons` names, in order, the person behind each and the district's unique id
for it. An app granted identifiers gets the district's ids, any other its pseudonyms. The
document's Ed-Fi ids (its `id`, its links) are the district's; an app under a pseudonymous
agreement is shown its own (gateway/policy/shown_edfi_ids.py).
"""

from __future__ import annotations

from collections.abc import Callable

import orjson

from gateway.policy.shown_edfi_ids import EdFiIdCipher

STORED_RESOURCES = frozenset({
    "students", "staffs", "contacts",
    "studentSchoolAssociations", "studentEducationOrganizationAssociations",
    "staffEducationOrganizationAssignmentAssociations", "studentContactAssociations",
})
PLACEHOLDER = orjson.dumps("\x01person\x01")


def fill(doc: bytes, persons: str, key: Callable[[str], str] | None,
         ids: EdFiIdCipher | None = None) -> bytes:
    """`doc` with each person key filled in: `key(sourced_id)`, or with None the district's
    own unique id; with `ids`, the app's Ed-Fi ids in place of the district's."""
    if ids is not None:
        doc = ids.document(doc)
    parts = doc.split(PLACEHOLDER)
    if len(parts) == 1:
        return doc
    named = orjson.loads(persons)
    out = [parts[0]]
    for (sourced_id, unique), part in zip(named, parts[1:], strict=True):
        out.append(orjson.dumps(unique if key is None else key(sourced_id)))
        out.append(part)
    return b"".join(out)
