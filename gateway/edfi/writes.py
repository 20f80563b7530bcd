"""Ed-Fi writes as an ingestion path for SIS push: POST upserts by natural key, PUT replaces,
DELETE tombstones.

A write is a tiny delta import owned by a source named after the writing app (the same source
its OneRoster writes use): the body is checked, mapped to canonical records by the shared
mapping (adapters/edfi_mapping), and applied by the sync engine with its validation and
reference checks, in one transaction with a change_version. The only SQL written here is the
key-change log entry, inside that same transaction. The agreement decides what the app may
write: the scope names the resources, the agreement's schools bound where.

A PUT may change the natural key of the resources Ed-Fi lets change theirs (KEY_UPDATABLE): the
row keeps its sourcedId and Ed-Fi id, so everything that references it follows, and the old and
new keys are logged for `/keyChanges`. Elsewhere a changed key is 400 key-change-not-supported;
a new key another active item holds is 409 non-unique-identity.

Resources whose write is not simply "this one row" (the Location, id and ETag a write answers
are always those of the item a GET shows):
* studentEducationOrganizationAssociations is a view of the student's role at the education
  organization, but what it carries (sex, races, ethnicity) lives in the student's demographics
  row. POST and PUT need that role to be active (else 409: post the studentSchoolAssociation
  first) and set only the association's demographics fields, keeping the others (birthDate,
  written through students). 201 when the demographics carried none of those fields before,
  else 200. DELETE clears those fields (tombstoning the demographics row when nothing else is
  left) and leaves the role: the item still reads, without sex, races or ethnicity. The
  canonical model keeps demographics per student, so every education organization's
  association shows the same values, and changing them does not move the role's ETag.
* courseOfferings and sections are two views of one classes row. A section posted for an
  offering this app wrote, whose class has no section yet, becomes that class (no second
  class); an offering posted over a class with a section keeps the section's identifier,
  periods and name (the class title; the offering's own title is kept as localCourseTitle).
  DELETE of either tombstones the class, so both views go. Several classes may show one
  offering key: the first by sourcedId stands for it (gateway/policy/edfi/offerings.py).
* studentContactAssociations is one contact role per (student, contact) pair; its `student`
  names the student, and the role is held at the student's school (found from the store).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Response, g, request
from sqlalchemy import Connection

from adapters.canonical import FAMILIES
from adapters.edfi_mapping.derived_keys import unique_id
from adapters.edfi_mapping.identity import edfi_id
from adapters.edfi_mapping.resources import KEY_UPDATABLE, RESOURCES
from adapters.edfi_mapping.to_canonical import (
    DESCRIPTOR_VALUES,
    OFFERED_COURSE,
    STUDENT_SCHOOL,
    WRITABLE,
    MappingError,
    canonical_sourced_id,
    natural_key,
    to_records,
)
from adapters.records import FamilyMode, Record
from gateway.edfi.body import check_body
from gateway.edfi.problems import EdFiProblem, invalid
from gateway.edfi.reads import Request, shown_ids, visible_item
from gateway.edfi.serialize import RACES, EdFiSerializer, flatten_key
from gateway.extensions import read_caches, store_engine, write_engine
from gateway.oneroster.writes import app_source
from gateway.policy.edfi import rows as stored
from gateway.policy.edfi.class_keys import DistrictKeys, class_named, district_keys, logged
from gateway.policy.edfi.examples import UNIQUE
from gateway.policy.edfi.lookups import Lookups
from gateway.policy.scoping import Scope
from gateway.policy.write_access import WriteAccess
from gateway.public_url import public_root
from gateway.sync.runner import OnApply, run_sync

SEOA = "studentEducationOrganizationAssociations"
_CLASS_FIELDS = frozenset({"title", "classCode", "classType", "course", "school", "terms",
                           "localCourseCode"})
# The fields of a shared canonical row that a resource owns: its write sets or clears these and
# keeps the stored row's other fields (another resource's), instead of replacing the row.
OWNS: dict[tuple[str, str], frozenset[str]] = {
    ("students", "demographics"): frozenset({"birthDate"}),
    (SEOA, "demographics"): frozenset({"sex", "hispanicOrLatinoEthnicity",
                                       "demographicRaceTwoOrMoreRaces", *RACES}),
    ("courseOfferings", "classes"): _CLASS_FIELDS | {"localCourseTitle"},
    ("sections", "classes"): _CLASS_FIELDS | {"sectionIdentifier", "periods"},
}
_CLASS_VIEWS = {"courseOfferings": "localCourseCode", "sections": "sectionIdentifier"}


def _writable(resource: str, req: Request) -> None:
    if resource not in WRITABLE:
        raise EdFiProblem("method-not-allowed", f"{resource} is read-only through this gateway; "
                                                f"writable: {', '.join(sorted(WRITABLE))}")
    if resource in _CLASS_VIEWS and req.caller.agreement.pseudonymous("classes"):
        # Such an app names classes only by its pseudonyms; a section or course offering it
        # wrote would carry keys of its own choosing that the district's keys could collide
        # with, so what it reads back (or is refused) would tell which keys the district has.
        raise EdFiProblem("security:authorization",
                          f"the app's agreement shows it pseudonyms of classes: it may write "
                          f"enrollments in sections, not {resource}")


def _body(req: Request, resource: str) -> dict[str, Any]:
    return _district_keys(req, check_body(RESOURCES[resource], request.get_json(silent=True)))


def _district_keys(req: Request, body: dict[str, Any]) -> dict[str, Any]:
    """A body as the district's keys spell it: an app shown pseudonyms instead of person ids
    (gateway.policy.pseudonyms) writes with them, so each person key that is one of its
    pseudonyms (at any depth: references) becomes the person's district id before anything
    maps the body. Other values stay as written (a new person's own id). An app shown
    pseudonyms of classes names sections by them: their key parts become the district's
    (gateway.policy.edfi.class_keys), and any other value names no section."""
    g.edfi_mapped_ids = None
    g.edfi_class_keys = None
    agreement = req.caller.agreement
    if agreement.pseudonymous("classes"):
        with store_engine().connect() as conn:
            classes = read_caches().pseudonyms.for_app(conn, store_engine(), req.caller.app_id,
                                                       "classes")
            named = g.edfi_class_keys = DistrictKeys()
            body = district_keys(body, Lookups(conn), lambda v: classes.real(conn, v), named)
    if "identifier" in agreement.allowed_fields("users"):
        return body
    mapped: set[str] = set()
    g.edfi_mapped_ids = mapped
    with store_engine().connect() as conn:
        pseudonyms = read_caches().pseudonyms.for_app(conn, store_engine(), req.caller.app_id)
        look = Lookups(conn)

        def district(value: str) -> str:
            person = pseudonyms.person(conn, value)
            if person is None:
                return value
            found = unique_id(person, look.row("users", person))
            mapped.add(found.casefold())
            return found

        def walk(value: Any) -> Any:  # noqa: ANN401
            if isinstance(value, dict):
                return {k: district(v) if k in UNIQUE and isinstance(v, str) else walk(v)
                        for k, v in value.items()}
            if isinstance(value, list):
                return [walk(v) for v in value]
            return value

        return walk(body)


def _find_by_key(conn: Connection, look: Lookups, resource: str, key: dict[str, Any],
                 access: WriteAccess | None = None) -> str | None:
    """The row of `resource` with this natural key; with `access`, only among the rows the
    app may name, so that what it may not see is found exactly as what does not exist."""
    if resource in _CLASS_VIEWS:
        named: DistrictKeys | None = g.get("edfi_class_keys")
        found = _class_by_key(look, resource, key, None if access is None or named is None
                              else (lambda class_id: named.names(class_id, key)))
        return found if access is None or access.may_name("classes", found) else None
    may_name = None if access is None else access.may_name
    mapped = g.get("edfi_mapped_ids")
    if access is not None and mapped is not None and any(
            str(v).casefold() not in mapped for k, v in key.items() if k in UNIQUE):
        # An app shown pseudonyms names a person by a value it was not shown (a district
        # id, say): it reaches only what it wrote itself, so the write does not confirm
        # which district ids exist.
        may_name = access.owns
    return stored.find_by_key(conn, look, resource, key, may_name)


def _folded(key: dict[str, Any]) -> dict[str, str]:
    return {k: str(v).casefold() for k, v in key.items()}


def _class_by_key(look: Lookups, resource: str, key: dict[str, Any],
                  accept: Callable[[str], bool] | None = None) -> str | None:
    """The class that shows this course offering or section key. Their keys are partly derived
    (a session's name and year, a code falling back to classCode), so candidates at the school
    are rendered exactly as GET renders them and compared. `accept`: of the classes showing
    the key, only one the app named (by its pseudonym: gateway.policy.edfi.class_keys)."""
    wanted = _folded(key)
    serializer = EdFiSerializer(look)
    for row in stored.class_candidates(look.conn, look, resource, key):
        shown = flatten_key(resource, serializer.render(resource, [row])[0])
        if _folded(shown) == wanted and (accept is None or accept(row.sourced_id)):
            return row.sourced_id
    return None


def _active(conn: Connection, family: str, sourced_id: str | None) -> Any | None:
    """The stored row (source, data) when it is active."""
    return stored.active_row(conn, family, sourced_id)


def _offered_course(conn: Connection, look: Lookups, key: dict[str, Any]) -> str | None:
    """OFFERED_COURSE: the course of the class a course offering is."""
    row = _active(conn, "classes", _find_by_key(conn, look, "courseOfferings", key))
    return json.loads(row.data).get("course") if row else None


def _student_school(conn: Connection, look: Lookups, key: dict[str, Any],
                    access: WriteAccess) -> str | None:
    """STUDENT_SCHOOL: the school of the student's active studentSchoolAssociation role; of
    several, one the app may name."""
    student = _find_by_key(conn, look, "students", key, access)
    schools = stored.student_schools(conn, student) if student else []
    return next((s for s in schools if access.may_name("orgs", s)),
                schools[0] if schools else None)


def _resolver(conn: Connection, look: Lookups, access: WriteAccess):  # noqa: ANN202
    """Finds what a body references, among the rows the app may name (write_access): a row it
    may not see resolves to nothing, exactly as a row that does not exist."""
    def resolve(target: str, key: dict[str, Any]) -> str | None:
        if target == DESCRIPTOR_VALUES:  # a value a client posted (descriptor_writes)
            from gateway.edfi.descriptor_writes import stored_uri
            return stored_uri(conn, key)
        if target == OFFERED_COURSE:
            offering = _find_by_key(conn, look, "courseOfferings", key, access)
            return _offered_course(conn, look, key) if offering else None
        if target == STUDENT_SCHOOL:
            student = _find_by_key(conn, look, "students", key, access)
            return _student_school(conn, look, key, access) if student else None
        if target in ("schools", "localEducationAgencies") or list(key) == [
                "educationOrganizationId"]:
            (number,) = key.values()
            try:
                found = [o for o in look.orgs_with_id(int(number))
                         if access.may_name("orgs", o)]
            except (TypeError, ValueError):
                return None
            return found[0] if found else None
        if target not in RESOURCES:
            return None
        return _find_by_key(conn, look, target, key, access)
    return resolve


def write_access(conn: Connection, req: Request) -> WriteAccess:
    return WriteAccess(conn, req.caller.app_id, req.caller.agreement.schools,
                       app_source(req.caller.client_id).name)


def _authorise(conn: Connection, req: Request, records: list[Record],
               also: tuple[str, ...] = ()) -> None:
    """Every school a written record is or names must be one of the agreement's schools;
    `also`: orgs the write is about without a record naming them (a demographics write made
    through the student's association with one school)."""
    schools = req.caller.agreement.schools
    if schools is None:
        return
    scope = Scope(conn, req.caller.app_id, schools)
    allowed = set(scope.orgs or [])
    for rec in records:
        named = [rec.sourced_id] if rec.family == "orgs" else [
            v for k, v in rec.fields.items()
            if FAMILIES[rec.family].by_name.get(k) is not None
            and FAMILIES[rec.family].by_name[k].target == "orgs"]
        outside = [s for s in [*named, *also] if s not in allowed]
        if outside:
            raise EdFiProblem("security:authorization",
                              "the app's agreement does not cover the education organization "
                              "this write names")


def _records(conn: Connection, req: Request, resource: str, body: dict[str, Any],
             sourced_id: str | None, also: tuple[str, ...] = (),
             access: WriteAccess | None = None) -> list[Record]:
    """The canonical records of a body, authorised, merged with the stored fields other
    resources own (OWNS)."""
    look = Lookups(conn)
    access = access or write_access(conn, req)
    try:
        records = to_records(resource, body, _resolver(conn, look, access),
                             sourced_id=sourced_id)
    except MappingError as exc:
        if exc.message.startswith("no "):
            raise EdFiProblem("data-conflict:unresolved-reference",
                              f"{exc.path}: {_unresolved(exc.message)}") from None
        raise invalid(exc.path, exc.message) from None
    _authorise(conn, req, records, also)
    _refuse_unreachable(access, records)
    for rec in records:
        rec.file, rec.line, rec.status = "request body", 1, "active"
        owned = OWNS.get((resource, rec.family))
        stored = _active(conn, rec.family, rec.sourced_id) if owned else None
        if stored is not None:
            data = json.loads(stored.data)
            kept = {k: v for k, v in data.items() if k not in owned}
            rec.fields = {**kept, **rec.fields}
            if resource == "courseOfferings" and data.get("sectionIdentifier"):
                rec.fields["title"] = data["title"]  # a section's class: its name is the title
    return records


def _unresolved(message: str) -> str:
    """What an unresolved reference is told: the key's values, unless the body was mapped
    from pseudonyms (they are then the district's, or a stand-in for "nothing")."""
    if g.get("edfi_mapped_ids") is None and g.get("edfi_class_keys") is None:
        return message
    return message.split(" with ", 1)[0] + " with the identifying values given"


def _refuse_unreachable(access: WriteAccess, records: list[Record]) -> None:
    """The last word of write_access on every reference the records hold, also those the
    mapping derived without the resolver: none may name a row the app may not see."""
    for rec, field, _value in access.unreachable(records):
        raise EdFiProblem("data-conflict:unresolved-reference",
                          f"$: {rec.family}.{field} names an item that does not exist")


def _seoa_role(conn: Connection, look: Lookups, key: dict[str, Any]) -> Any:
    """The role a studentEducationOrganizationAssociation is a view of; it must be active."""
    role = _active(conn, "roles", _find_by_key(conn, look, SEOA, key))
    if role is None:
        raise EdFiProblem("data-conflict:unresolved-reference",
                          f"$.educationOrganizationReference: student "
                          f"{key.get('studentUniqueId')!r} has no active association with "
                          f"education organization {key.get('educationOrganizationId')!r}; "
                          "post its studentSchoolAssociation first")
    return role


def _carries_seoa(conn: Connection, student: str) -> bool:
    """Whether the student's demographics already hold one of the association's fields (a
    POST then updates the association rather than creating it)."""
    stored = _active(conn, "demographics", student)
    return stored is not None and bool(OWNS[(SEOA, "demographics")]
                                       & set(json.loads(stored.data)))


def _section_target(conn: Connection, look: Lookups, req: Request,
                    body: dict[str, Any]) -> str | None:
    """For a new section: the class of its course offering when this app wrote that offering
    and the class has no section yet (one offering is one class)."""
    offering = body.get("courseOfferingReference") or {}
    key = {p: offering.get(p) for p in ("localCourseCode", "schoolId", "schoolYear",
                                        "sessionName")}
    row = _active(conn, "classes", _find_by_key(conn, look, "courseOfferings", key))
    if row is None or row.source != app_source(req.caller.client_id).name:
        return None
    return None if json.loads(row.data).get("sectionIdentifier") else row.sourced_id


def apply_write(req: Request, records: list[Record], on_apply: OnApply | None = None) -> None:
    """The one path of every Ed-Fi write (resources and descriptors) into the sync engine."""
    source = app_source(req.caller.client_id)
    families = list(dict.fromkeys(r.family for r in records))
    events = [*(FamilyMode(f, "delta", "request body") for f in families), *records]
    report = run_sync(write_engine(), source, iter(events), adapter_name=source.adapter,
                      on_apply=on_apply)
    if report.state in ("applied", "unchanged"):
        return
    issues = [i for i in report.issues if i.level in ("error", "fatal")]
    if any("belongs to source" in i.reason for i in issues):
        raise EdFiProblem("security:authorization", "this item was supplied by another source "
                                                    "and cannot be changed by this app")
    errors = {f"$.{i.field or ''}".rstrip("."): [f"{i.reason}" + (f" ({i.value!r})"
                                                                  if i.value else "")]
              for i in issues}
    if any("unknown" in i.reason or "reference" in i.reason for i in issues):
        raise EdFiProblem("data-conflict:unresolved-reference",
                          "; ".join(e for v in errors.values() for e in v) or report.message)
    raise EdFiProblem("bad-request:data-validation-failed",
                      "Data validation failed. See 'validationErrors' for details.",
                      errors=errors or {"$": [str(report.message)]})


def _family(resource: str) -> str:
    return RESOURCES[resource].family


def _location(req: Request, resource: str, sourced_id: str) -> str:
    """The created item's URL, with the id this app is shown (gateway.policy.shown_edfi_ids)."""
    the_id = edfi_id(resource, sourced_id)
    ids = shown_ids(req.caller)
    base = public_root()
    return f"{base}/data/v3/ed-fi/{resource}/{the_id if ids is None else ids.shown(the_id)}"


def etag_of(family: str, sourced_id: str) -> str:
    """The ETag a write answers: the row's change version as stored after the write."""
    with store_engine().connect() as conn:
        version = stored.change_version_of(conn, family, sourced_id)
    return f'"{version}"'


def post(req: Request, resource: str) -> Response:
    _writable(resource, req)
    body = _body(req, resource)
    try:
        key = natural_key(RESOURCES[resource], body)
    except MappingError as exc:
        raise invalid(exc.path, exc.message) from None
    with store_engine().connect() as conn:
        look = Lookups(conn)
        access = write_access(conn, req)
        found = _find_by_key(conn, look, resource, key, access)
        if resource == SEOA:
            records = _records(conn, req, resource, body, None, access=access)
            role = _seoa_role(conn, look, key)
            _authorise(conn, req, records, (json.loads(role.data)["org"],))
            sid, updated = role.sourced_id, _carries_seoa(conn, records[0].sourced_id)
        else:
            target = found
            if found is None and resource == "sections":
                target = _section_target(conn, look, req, body)
            if target is None:
                target = _new_sourced_id(resource, key, access)
            records = _records(conn, req, resource, body, target, access=access)
            sid = records[0].sourced_id
            updated = _active(conn, records[0].family, found) is not None
    apply_write(req, records)
    return Response(status=200 if updated else 201,
                    headers={"Location": _location(req, resource, sid),
                             "ETag": etag_of(_family(resource), sid)})


def _new_sourced_id(resource: str, key: dict[str, Any], access: WriteAccess) -> str | None:
    """The sourcedId of an item this POST creates: the key's own (canonical_sourced_id),
    unless a row the app may not see already holds it (another source's item with this key:
    an Ed-Fi file's student at another school, an opted-out student). The write must then
    answer exactly as for a key nobody holds, so the app's item gets an id of its own, derived
    from the key and the app's source, and never touches the row it may not see. None: the
    key's own id (the mapping derives it)."""
    family = RESOURCES[resource].family
    own = canonical_sourced_id(resource, key)
    held = access.stored(family, own)
    if held is None or access.may_name(family, own):
        return None
    return canonical_sourced_id(resource, {**key, "writtenBy": access.source})


def _existing(req: Request, resource: str, the_id: str):  # noqa: ANN202
    """The item a PUT or DELETE names, as the store holds it now (its district keys: what a
    PUT's body is compared with after pseudonyms are mapped back)."""
    found = visible_item(req, resource, the_id, lambda session, row: EdFiSerializer(
        Lookups(session.conn)).render(resource, [row])[0])
    if found is None:
        raise EdFiProblem("not-found", f"no {resource} item with id {the_id!r}")
    row, obj = found
    require_if_match(row.change_version)
    return row, obj


def require_if_match(change_version: int) -> None:
    """A write naming a version (If-Match) applies only to that version of the item."""
    wanted = request.headers.get("If-Match")
    if wanted and wanted.strip() not in (f'"{change_version}"', "*"):
        raise EdFiProblem("optimistic-lock-failed",
                          "the item was changed since the version named by If-Match; read it "
                          "again and retry")


def put(req: Request, resource: str, the_id: str) -> Response:
    _writable(resource, req)
    row, current = _existing(req, resource, the_id)
    body = _body(req, resource)
    if body.get("id") not in (None, the_id):
        raise invalid("$.id", "differs from the id in the URL")
    try:
        key = natural_key(RESOURCES[resource], body)
    except MappingError as exc:
        raise invalid(exc.path, exc.message) from None
    old = flatten_key(resource, current)
    changes_key = _folded(key) != _folded(old)
    if changes_key and resource not in KEY_UPDATABLE:
        raise EdFiProblem("bad-request:data-validation-failed:key-change-not-supported",
                          f"the identifying values of {resource} cannot be changed; delete the "
                          "item and POST the new one (key changes are supported for "
                          f"{', '.join(sorted(KEY_UPDATABLE))})")
    also = (json.loads(row.data)["org"],) if resource == SEOA else ()
    with store_engine().connect() as conn:
        if changes_key:
            _refuse_duplicate_key(conn, resource, key, row.sourced_id)
        records = _records(conn, req, resource, body, row.sourced_id, also)
    log = _log_key_change(resource, row.sourced_id, logged(
        old, class_named(resource, row.sourced_id, json.loads(row.data)))) if changes_key \
        else None
    apply_write(req, records, log)
    return Response(status=204, headers={"ETag": etag_of(_family(resource), row.sourced_id)})


def _refuse_duplicate_key(conn: Connection, resource: str, key: dict[str, Any],
                          sourced_id: str) -> None:
    other = _active(conn, RESOURCES[resource].family, _find_by_key(conn, Lookups(conn),
                                                                  resource, key))
    if other is not None and other.sourced_id != sourced_id:
        raise EdFiProblem("data-conflict:non-unique-identity",
                          f"another {resource} item already has these identifying values")


def _log_key_change(resource: str, sourced_id: str, old: dict[str, Any]) -> OnApply:
    """Records the change in the run's own transaction: the new key is read back from the row
    just written, spelled as GET shows it."""
    def log(conn: Connection, change_version: int) -> None:
        row = stored.row_of(conn, _family(resource), sourced_id)
        new = logged(flatten_key(resource, EdFiSerializer(Lookups(conn)).render(resource,
                                                                                [row])[0]),
                     class_named(resource, sourced_id, json.loads(row.data)))
        stored.log_key_change(conn, resource, sourced_id, change_version, old, new)
    return log


def delete(req: Request, resource: str, the_id: str) -> Response:
    _writable(resource, req)
    row, _obj = _existing(req, resource, the_id)
    if resource == SEOA:
        return _clear_demographics(req, json.loads(row.data)["user"])
    with store_engine().connect() as conn:
        source = stored.source_of(conn, _family(resource), row.sourced_id)
    require_own(req, source)
    family = RESOURCES[resource].family
    apply_write(req, [Record(family, row.sourced_id, {}, file="request", line=1,
                        status="tobedeleted")])
    return Response(status=204)


def require_own(req: Request, source: str | None) -> None:
    if source != app_source(req.caller.client_id).name:
        raise EdFiProblem("security:authorization", "this item was supplied by another source; "
                                                    "an app deletes only what it wrote")


def _clear_demographics(req: Request, student: str) -> Response:
    """DELETE of a studentEducationOrganizationAssociation: clears the demographics fields the
    association carried; the row goes when nothing else (a birthDate) is left in it."""
    owned = OWNS[(SEOA, "demographics")]
    with store_engine().connect() as conn:
        stored = _active(conn, "demographics", student)
    if stored is None or not owned & set(json.loads(stored.data)):
        return Response(status=204)
    require_own(req, stored.source)
    kept = {k: v for k, v in json.loads(stored.data).items() if k not in owned}
    apply_write(req, [Record("demographics", student, kept, file="request", line=1,
                        status="active" if kept else "tobedeleted")])
    return Response(status=204)
