"""Natural-key values for canonical rows that have none of their own.

Rows from OneRoster CSV or a vendor export carry no Ed-Fi natural key, yet the Ed-Fi API must show
one. These rules derive it from canonical fields, deterministically, so the same row always
shows the same key (and a row an Ed-Fi source created shows the key it was created with):

* education organization ids (schoolId, localEducationAgencyId, educationOrganizationId): the
  org's `identifier` when it is a whole number in Ed-Fi's range; otherwise a stable number from
  the org's sourcedId (see `stable_number`), which cannot collide with a real state-assigned id
  of up to nine digits because it is ten digits long.
* person unique ids (studentUniqueId, staffUniqueId, contactUniqueId): the user's `identifier`
  (the district's SIS id) when present and at most 32 characters, else the sourcedId when at most
  32 characters, else 32 hex digits of its hash.
* courseCode: the course's courseCode, else its sourcedId (courseCode is optional in OneRoster).
* localCourseCode / sectionIdentifier: the class's Ed-Fi-only fields when an Ed-Fi source set
  them, else its classCode, else its sourcedId.
* sessionName: the session's title; schoolYear: its canonical schoolYear.
* entryDate / beginDate of associations: the role's or enrollment's beginDate, else the start
  date of the earliest session of the school year the district holds (the caller passes it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

MAX_EDORG_ID = 2**31 - 1  # Ed-Fi 4.x stores education organization ids as 32-bit integers
MIN_DERIVED, SPAN_DERIVED = 1_000_000_000, 1_000_000_000


def stable_number(sourced_id: str) -> int:
    """A ten-digit number from a sourcedId: the same forever for the same sourcedId."""
    digest = hashlib.sha256(sourced_id.encode("utf-8")).digest()
    return MIN_DERIVED + int.from_bytes(digest[:8], "big") % SPAN_DERIVED


def education_organization_id(sourced_id: str, data: Mapping[str, Any]) -> int:
    identifier = str(data.get("identifier") or "").strip()
    if identifier.isdigit() and 0 < int(identifier) <= MAX_EDORG_ID:
        return int(identifier)
    return stable_number(sourced_id)


def unique_id(sourced_id: str, data: Mapping[str, Any]) -> str:
    identifier = str(data.get("identifier") or "").strip()
    if identifier and len(identifier) <= 32:
        return identifier
    if len(sourced_id) <= 32:
        return sourced_id
    return hashlib.md5(sourced_id.encode("utf-8"), usedforsecurity=False).hexdigest()


def course_code(sourced_id: str, data: Mapping[str, Any]) -> str:
    return str(data.get("courseCode") or sourced_id)


def local_course_code(sourced_id: str, data: Mapping[str, Any]) -> str:
    return str(data.get("localCourseCode") or data.get("classCode") or sourced_id)


def section_identifier(sourced_id: str, data: Mapping[str, Any]) -> str:
    return str(data.get("sectionIdentifier") or data.get("classCode") or sourced_id)
