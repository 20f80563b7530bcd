"""An LMS's user and context, matched onto the district's canonical user and class.

The class first (a match already kept, else `lis.course_section_sourcedid`, else a SIS id an
LMS admin put in a custom variable), then the user (a match already kept, else
`lis.person_sourcedid`, else a SIS id in a custom variable, else, last, the e-mail, among the
class's members only and only when exactly one has it). Every lookup goes through the read
engine as the target tool's app sees the district (its schools, parents' opt-outs), with no
disclosure logged: what is read here never leaves the gateway. A match is kept, so the next
launch costs one lookup; a launch that matches nothing says why, and is listed for district IT
(`gateway lti unmatched`), who may map it by hand (`gateway lti map`).
"""

from __future__ import annotations

from typing import Any

import orjson

from gateway.auth.lti_relay_state import (
    CONTEXT,
    USER,
    matched_class,
    matched_user,
    note_unmatched,
    remember_match,
)
from gateway.documents.oneroster_catalogue import V1P2, wire_fields
from gateway.extensions import store_engine, write_engine
from gateway.lti.claims import LTI
from gateway.lti.roster import DOCS
from gateway.policy.reads import Listing, ReadSession
from gateway.policy.relations import enrolled

# Custom variables an LMS admin may fill with SIS ids (Canvas: $Person.sourcedId,
# $CourseSection.sourcedId; any name from this list works).
USER_CUSTOM = ("person_sourcedid", "user_sourcedid", "sis_user_id", "sis_id")
CLASS_CUSTOM = ("course_section_sourcedid", "section_sourcedid", "class_sourcedid",
                "sis_section_id")


class Unmatched(Exception):
    """The launch's user or context matches nothing the tool may see; `reason` says why."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind, self.reason = kind, reason  # kind: USER or CONTEXT


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value and len(value) <= 255 else None


def _candidates(claims: dict[str, Any], lis_key: str,
                custom_keys: tuple[str, ...]) -> list[tuple[str, str]]:
    """(sourcedId, where it came from), in the order they are tried."""
    found: list[tuple[str, str]] = []
    lis = claims.get(LTI + "lis")
    if isinstance(lis, dict) and _text(lis.get(lis_key)):
        found.append((lis[lis_key], f"lis.{lis_key}"))
    custom = claims.get(LTI + "custom")
    if isinstance(custom, dict):
        for key in custom_keys:
            value = _text(custom.get(key))
            if value and value not in (v for v, _ in found):
                found.append((value, f"custom.{key}"))
    return found


def _exists(session: ReadSession, family: str, sourced_id: str) -> bool:
    listing = Listing(family, DOCS, keep=("sourcedId",), full=wire_fields(family, V1P2),
                      shape=("lti-match", family))
    return session.single(listing, sourced_id) is not None


def _by_email(session: ReadSession, class_id: str, email: str) -> list[str]:
    """The class's members (as the tool's app may see them) whose e-mail is `email`."""
    relation = enrolled(None, "c")
    listing = Listing("users", DOCS, lambda: [relation({"c": class_id})], limit=10_000,
                      keep=("sourcedId", "email"), full=wire_fields("users", V1P2),
                      shape=("lti-match-email", class_id), count=False)
    wanted = email.strip().casefold()
    return [u["sourcedId"] for u in map(orjson.loads, session.list(listing).documents)
            if str(u.get("email", "")).strip().casefold() == wanted]


def _context_id(claims: dict[str, Any]) -> str:
    context = claims.get(LTI + "context")
    found = context.get("id") if isinstance(context, dict) else None
    if not _text(found):
        raise Unmatched(CONTEXT, "the launch carries no context (course) id")
    return found


def match_class(session: ReadSession, platform_id: int, claims: dict[str, Any]) -> str:
    lms_context = _context_id(claims)
    kept = matched_class(store_engine(), platform_id, lms_context)
    if kept is not None:
        return kept
    tried = []
    for class_id, where in _candidates(claims, "course_section_sourcedid", CLASS_CUSTOM):
        if _exists(session, "classes", class_id):
            remember_match(write_engine(), platform_id, CONTEXT, lms_context, class_id, where)
            return class_id
        tried.append(f"{where} {class_id!r}")
    reason = ("no class " + ", ".join(tried) + " is shared with the tool" if tried else
              "the launch names no section sourcedId (lis.course_section_sourcedid or a "
              "custom SIS id) and the course has not been mapped")
    raise Unmatched(CONTEXT, f"course {lms_context!r}: {reason}")


def match_user(session: ReadSession, platform_id: int, claims: dict[str, Any],
               class_id: str) -> str:
    lms_user = claims["sub"]
    kept = matched_user(store_engine(), platform_id, lms_user)
    if kept is not None:
        return kept
    tried = []
    opted_out = session.opted_out()
    for user_id, where in _candidates(claims, "person_sourcedid", USER_CUSTOM):
        if user_id in opted_out or _exists(session, "users", user_id):
            remember_match(write_engine(), platform_id, USER, lms_user, user_id, where)
            return user_id
        tried.append(f"{where} {user_id!r}")
    email = _text(claims.get("email"))
    if email:
        found = _by_email(session, class_id, email)
        if len(found) == 1:
            remember_match(write_engine(), platform_id, USER, lms_user, found[0], "email")
            return found[0]
        why = "several members share it" if found else "no member of the class has it"
        tried.append(f"e-mail {email!r} ({why})")
    reason = ("no district user matches " + ", ".join(tried) if tried else
              "the launch names no person sourcedId, SIS id or e-mail")
    raise Unmatched(USER, f"user {lms_user!r}: {reason}")


def hints(claims: dict[str, Any]) -> dict[str, Any]:
    """What district IT needs to map an unmatched launch by hand: the LMS's own ids and
    labels, never the whole token."""
    context = claims.get(LTI + "context") if isinstance(claims.get(LTI + "context"),
                                                        dict) else {}
    lis = claims.get(LTI + "lis") if isinstance(claims.get(LTI + "lis"), dict) else {}
    found = {"sub": claims.get("sub"), "context_id": context.get("id"),
             "context_label": context.get("label"), "context_title": context.get("title"),
             "person_sourcedid": lis.get("person_sourcedid"),
             "course_section_sourcedid": lis.get("course_section_sourcedid"),
             "email": claims.get("email"), "name": claims.get("name")}
    return {k: v for k, v in found.items() if isinstance(v, str) and v}


def record_unmatched(platform_id: int, claims: dict[str, Any], problem: Unmatched) -> None:
    value = claims.get("sub") if problem.kind == USER else (
        (claims.get(LTI + "context") or {}).get("id") or "(none)")
    note_unmatched(write_engine(), platform_id, problem.kind, str(value)[:255], hints(claims),
                   problem.reason)
