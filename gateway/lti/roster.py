"""What a tool may know of a class and its members, read through the policy layer's read
engine (the agreement's schools, parents' opt-outs, the field allowlist, the disclosure log):
the launching user's membership for a launch, and pages of members for NRPS.

The OneRoster 1.2 documents the sync engine rendered are the source: a user's names, e-mail,
sourcedId and org roles; an enrollment's role and status; a class's title and code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from gateway.documents.oneroster import STORED
from gateway.documents.oneroster_catalogue import V1P2, wire_fields
from gateway.policy.agreement import Agreement
from gateway.policy.fields import FieldRules
from gateway.policy.reads import Listing, ReadSession
from gateway.policy.relations import (
    column_is,
    enrollments_changed_since,
    enrollments_of_class,
    sourced_ids_in,
)

DOCS = STORED[V1P2]
# The LTI consumer reads with `internal_ids` (Reader): documents keep the district's ids, which
# it turns into pairwise ids; where it sends a sourcedId (LIS), `lis_ids` says what the app is
# shown.
# The identity claim groups and the user fields (OneRoster 1.2 wire names) each needs.
CLAIM_FIELDS = {"name": ("givenName", "familyName"), "email": ("email",),
                "lis": ("sourcedId",)}


@dataclass(frozen=True)
class Member:
    user_id: str  # the district's sourcedId: never sent to a tool
    enrollment_role: str
    active: bool
    user: dict[str, Any]  # the user's document, only the fields the tool may receive
    mentees: tuple[str, ...] = ()  # a guardian's children in the class (sourcedIds)
    deleted: bool = False  # the enrollment is a tombstone (NRPS differences: "Deleted")

    def org_roles(self) -> list[str]:
        return [r.get("role", "") for r in self.user.get("roles", []) if isinstance(r, dict)]


def granted_claims(agreement: Agreement, share: frozenset[str]) -> frozenset[str]:
    """Identity claim groups a tool receives: those district IT chose to share with it that its
    app's agreement grants (every field of the group allowed for users)."""
    visible = set(FieldRules("users", V1P2, agreement).visible)
    return frozenset(g for g in share if g in CLAIM_FIELDS
                     and all(f in visible for f in CLAIM_FIELDS[g]))


def identity_claims(user: dict[str, Any], claims: frozenset[str]) -> dict[str, str]:
    """The name and e-mail claims of a person, as a launch and a membership both carry them,
    only for the groups granted (`granted_claims`)."""
    found: dict[str, str] = {}
    if "name" in claims:
        given, family = user.get("givenName", ""), user.get("familyName", "")
        found.update(given_name=given, family_name=family, name=f"{given} {family}".strip())
    if "email" in claims and user.get("email"):
        found["email"] = user["email"]
    return found


def lis_ids(session: ReadSession, user_id: str, class_id: str | None = None) -> dict[str, str]:
    """The LIS sourcedIds of a person (and a class) as the tool's app is shown them: its
    OneRoster pseudonyms under a pseudonymous agreement (so the tool joins NRPS with that
    app's OneRoster reads, and with no other app's), else the district's ids."""
    shown = session.shown_ids()
    found = {"person_sourcedid": user_id if shown is None
             else shown.shown_ref("users", user_id)}
    if class_id is not None:
        found["course_section_sourcedid"] = class_id if shown is None \
            else shown.shown_ref("classes", class_id)
    return found


def _user_keep(claims: frozenset[str]) -> tuple[str, ...]:
    keep = ["sourcedId", "status", "roles"]
    for group in sorted(claims):
        keep += [f for f in CLAIM_FIELDS[group] if f not in keep]
    return tuple(keep)


def class_document(session: ReadSession, class_id: str) -> dict[str, Any] | None:
    """The class as the app may see it, or None (unknown, or outside its agreement)."""
    listing = Listing("classes", DOCS, keep=("sourcedId", "title", "classCode"),
                      full=wire_fields("classes", V1P2), shape=("lti-class",))
    page = session.single(listing, class_id)
    return None if page is None else orjson.loads(page.documents[0])


def enrollments(session: ReadSession, class_id: str, roles: tuple[str, ...] | None, *,
                user_id: str | None = None, limit: int = 1000, offset: int = 0,
                since: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """A page of the class's enrollments the app may see (opted-out students absent), in
    sourcedId order, and how many there are in all. With `since` (a change version): only
    those that changed after it, tombstones included (status "tobedeleted")."""

    def where() -> list:
        found = [enrollments_of_class(class_id, roles)]
        if user_id is not None:
            found.append(column_is("enrollments", "user_id", "user")({"user": user_id}))
        if since is not None:
            found.append(enrollments_changed_since(since))
        return found

    listing = Listing("enrollments", DOCS, where, limit=limit, offset=offset,
                      keep=("sourcedId", "status", "user", "role"),
                      full=wire_fields("enrollments", V1P2), tombstones=since is not None,
                      shape=("lti-enrollments", class_id, roles, user_id, since))
    page = session.list(listing)
    return [orjson.loads(d) for d in page.documents], page.total or 0


def members(session: ReadSession, enrolled: list[dict[str, Any]],
            claims: frozenset[str]) -> list[Member]:
    """The users of these enrollments, with only the fields the claims need; an enrollment
    whose user the app may not see is left out."""
    ids = tuple(sorted({e["user"]["sourcedId"] for e in enrolled}))
    if not ids:
        return []
    listing = Listing("users", DOCS, lambda: [sourced_ids_in("users", ids)], limit=len(ids),
                      keep=_user_keep(claims), full=wire_fields("users", V1P2),
                      shape=("lti-users", ids, claims))
    users = {u["sourcedId"]: u for u in map(orjson.loads, session.list(listing).documents)}
    found = []
    for e in enrolled:
        user = users.get(e["user"]["sourcedId"])
        if user is not None:
            found.append(Member(user_id=user["sourcedId"], enrollment_role=e.get("role", ""),
                                active=e.get("status") == "active", user=user,
                                deleted=e.get("status") == "tobedeleted"))
    return found


GUARDIAN_ROLES = frozenset({"guardian", "parent", "relative"})
MAX_CHILDREN = 20


def mentor(session: ReadSession, class_id: str, user_id: str,
           claims: frozenset[str]) -> Member | None:
    """A guardian of students of the class, as the mentor of those children (LTI's
    role_scope_mentor), or None. Only children the app may see, enrolled in the class and not
    opted out, count; a guardian with none is no member. The children's enrollments are read
    through the engine, so the launch is a logged disclosure of each of them."""
    listing = Listing("users", DOCS, keep=(*_user_keep(claims), "agents"),
                      full=wire_fields("users", V1P2), shape=("lti-mentor", claims))
    page = session.single(listing, user_id)
    if page is None:
        return None
    user = orjson.loads(page.documents[0])
    roles = {r.get("role") for r in user.get("roles", []) if isinstance(r, dict)}
    if not roles & GUARDIAN_ROLES:
        return None
    children = [a["sourcedId"] for a in user.pop("agents", []) if isinstance(a, dict)
                and isinstance(a.get("sourcedId"), str)][:MAX_CHILDREN]
    mentees = tuple(c for c in children
                    if enrollments(session, class_id, ("student",), user_id=c, limit=1)[0])
    if not mentees:
        return None
    return Member(user_id=user_id, enrollment_role="mentor", active=True, user=user,
                  mentees=mentees)
