"""Canonical rows -> OneRoster 1.1 / 1.2 objects.

Both versions are projections of the same row: references become GUIDRefs with absolute hrefs,
booleans become the strings "true"/"false", and users get their roles from the roles family
(1.2 `roles[]`, 1.1 `role` + `orgs`). Related rows (roles, children) are fetched once per page,
never once per object, and only where the app may see them.

Where a source left out a value 1.2 requires, a documented fallback is served
(gateway/oneroster/fallbacks.py), never an omission: an org's identifier, a course's
courseCode, the roles of a user holding none, a URI for a user profile's id.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, select

from adapters.canonical import FAMILIES
from gateway.model import ROSTER_TABLES
from gateway.oneroster import fallbacks
from gateway.oneroster.catalogue import (
    ONLY_V1P2,
    REF_TARGETS,
    V1P1,
    V1P1_RENAMES,
    V1P1_ROLE,
)
from gateway.policy.scoping import Scope

ROLES = ROSTER_TABLES["roles"]
PROFILES = ROSTER_TABLES["userProfiles"]
ENROLLMENTS = ROSTER_TABLES["enrollments"]
ORGS = ROSTER_TABLES["orgs"]


def timestamp(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Serializer:
    def __init__(self, conn: Connection, version: str, bases: dict[str, str], scope: Scope) -> None:
        self.conn = conn
        self.version = version
        self.bases = bases  # service -> absolute base URL
        self.scope = scope
        # Users rendered so far that hold a student role: the disclosure log reads it.
        self.students: set[str] = set()
        self._rows: dict[str, dict[str, Any]] = {}  # the page's canonical data, by sourcedId

    def ref(self, target_family: str, sourced_id: str) -> dict[str, str]:
        target = REF_TARGETS[target_family]
        href = f"{self.bases[target.service]}/{target.collection}/{quote(sourced_id, safe='')}"
        return {"href": href, "sourcedId": sourced_id, "type": target.type}

    def render(self, family: str, rows: Sequence[Any]) -> list[dict[str, Any]]:
        """`rows` carry sourced_id, status, date_last_modified, data."""
        fam = FAMILIES[family]
        kinds = {f.name: (f.kind, f.target) for f in fam.fields}
        drop = ONLY_V1P2.get(family, frozenset()) if self.version == V1P1 else frozenset()
        drop = drop | {f.name for f in fam.fields if not f.oneroster}
        renames = (
            {v: k for k, v in V1P1_RENAMES.get(family, {}).items()} if self.version == V1P1 else {}
        )
        out = []
        self._rows = {}
        for row in rows:
            obj: dict[str, Any] = {
                "sourcedId": row.sourced_id,
                "status": row.status,
                "dateLastModified": timestamp(row.date_last_modified),
            }
            data = self._rows[row.sourced_id] = json.loads(row.data)
            for name, value in data.items():
                if name in drop:
                    continue
                kind, target = kinds[name]
                obj[renames.get(name, name)] = self._value(kind, target, value)
            out.append(obj)
        extra = getattr(self, f"_extra_{family}", None)
        if extra and out:
            extra(out)
        if family == "demographics" and self.version == V1P1:
            for obj in out:
                if obj.get("sex") not in (None, "male", "female"):
                    del obj["sex"]  # 1.1 knows only male and female
        return out

    def _value(self, kind: str, target: str | None, value: Any) -> Any:
        if kind == "bool":
            return "true" if value else "false"
        if kind == "ref":
            return self.ref(target, value)  # type: ignore[arg-type]
        if kind == "refs":
            return [self.ref(target, v) for v in value]  # type: ignore[arg-type]
        return value

    # -- related rows, one query per page ----------------------------------------------------
    def _extra_users(self, users: list[dict[str, Any]]) -> None:
        ids = [u["sourcedId"] for u in users]
        roles = defaultdict(list)
        for r in self.conn.execute(
            select(ROLES.c.user_id, ROLES.c.data, ROLES.c.role)
            .where(
                ROLES.c.user_id.in_(ids),
                ROLES.c.status == "active",
                self.scope.visible("roles"),
            )
            .order_by(ROLES.c.user_id, ROLES.c.sourced_id)
        ):
            roles[r.user_id].append(json.loads(r.data))
            if r.role == "student":
                self.students.add(r.user_id)
        profiles = defaultdict(list)
        if self.version != V1P1:
            for p in self.conn.execute(
                select(PROFILES.c.user_id, PROFILES.c.sourced_id, PROFILES.c.data).where(
                    PROFILES.c.user_id.in_(ids), PROFILES.c.status == "active"
                )
            ):
                profiles[p.user_id].append((p.sourced_id, json.loads(p.data)))
        self._roles_of_roleless(users, roles)
        self._agents_from_roles(users, roles)
        self._visible_agents(users)
        for user in users:
            mine = roles.get(user["sourcedId"], [])
            if self.version == V1P1:
                self._v1p1_roles(user, mine)
            else:
                rendered = [self._role(r) for r in mine]
                # a contact holds one role per child (roles.student); OneRoster shows one
                user["roles"] = [r for n, r in enumerate(rendered) if r not in rendered[:n]]
                if profiles.get(user["sourcedId"]):
                    user["userProfiles"] = [
                        self._profile(sid, p) for sid, p in profiles[user["sourcedId"]]
                    ]

    def _roles_of_roleless(self, users: list[dict[str, Any]],
                           roles: dict[str, list[dict[str, Any]]]) -> None:
        """A user holding no role this app may see gets the roles its enrollments imply, else
        one from what its row says (fallbacks.py): OneRoster requires at least one role."""
        missing = [u["sourcedId"] for u in users if not roles.get(u["sourcedId"])]
        if not missing:
            return
        for e in self.conn.execute(
            select(ENROLLMENTS.c.user_id, ENROLLMENTS.c.school_id, ENROLLMENTS.c.role)
            .where(ENROLLMENTS.c.user_id.in_(missing), ENROLLMENTS.c.status == "active",
                   self.scope.visible("enrollments"))
            .order_by(ENROLLMENTS.c.user_id, ENROLLMENTS.c.school_id, ENROLLMENTS.c.sourced_id)
        ):
            fallbacks.add_enrolled_role(roles[e.user_id], e.school_id, e.role)
        district = None
        for sid in missing:
            if roles.get(sid):
                continue
            data = self._rows.get(sid, {})
            org = data.get("primaryOrg")
            if org is None:
                district = district or self._district()
                org = district
            if org is not None:
                roles[sid] = [fallbacks.person_role(data, org)]
        for sid in missing:
            if any(r["role"] == "student" for r in roles.get(sid, ())):
                self.students.add(sid)

    def _district(self) -> str | None:
        """The first district (else the first org) this app may see, by sourcedId."""
        base = select(ORGS.c.sourced_id).where(ORGS.c.status == "active",
                                               self.scope.visible("orgs"))
        return (self.conn.execute(base.where(ORGS.c.type == "district")
                                  .order_by(ORGS.c.sourced_id).limit(1)).scalar()
                or self.conn.execute(base.order_by(ORGS.c.sourced_id).limit(1)).scalar())

    def _agents_from_roles(self, users: list[dict[str, Any]],
                           roles: dict[str, list[dict[str, Any]]]) -> None:
        """A contact's role towards one student (roles.student, written through Ed-Fi's
        studentContactAssociations) links the two users as agents, both ways, like a
        source's own agents field. Only roles this app may see count (scoping hides a role
        naming an opted-out or out-of-scope student)."""
        links = [(user, role["student"]) for user, mine in roles.items() for role in mine
                 if role.get("student")]
        ids = [u["sourcedId"] for u in users]
        links += [(r.student_id, r.user_id) for r in self.conn.execute(
            select(ROLES.c.student_id, ROLES.c.user_id).where(
                ROLES.c.student_id.in_(ids), ROLES.c.status == "active",
                self.scope.visible("roles")).order_by(ROLES.c.sourced_id))]
        by_user = {u["sourcedId"]: u for u in users}
        for owner, agent in links:
            user = by_user.get(owner)
            if user is None:
                continue
            agents = user.setdefault("agents", [])
            if agent not in {a["sourcedId"] for a in agents}:
                agents.append(self.ref("users", agent))

    def _visible_agents(self, users: list[dict[str, Any]]) -> None:
        """Agents (guardian <-> student links) name other users: keep only those this app may
        see, so an opted-out or out-of-scope student's id never travels on a parent's record."""
        named = {a["sourcedId"] for u in users for a in u.get("agents", ())}
        if not named:
            return
        users_table = ROSTER_TABLES["users"]
        visible = set(self.conn.execute(select(users_table.c.sourced_id).where(
            users_table.c.sourced_id.in_(sorted(named)), self.scope.visible("users"))).scalars())
        for user in users:
            if "agents" in user:
                user["agents"] = [a for a in user["agents"] if a["sourcedId"] in visible]
                if not user["agents"]:
                    del user["agents"]

    def _role(self, role: dict[str, Any]) -> dict[str, Any]:
        out = {
            "roleType": role["roleType"],
            "role": role["role"],
            "org": self.ref("orgs", role["org"]),
        }
        for key in ("userProfile", "beginDate", "endDate"):
            if key in role:
                out[key] = role[key]
        if "userProfile" in out:
            out["userProfile"] = fallbacks.profile_uri(out["userProfile"])
        return out

    @staticmethod
    def _profile(sourced_id: str, p: dict[str, Any]) -> dict[str, Any]:
        out = {
            "profileId": fallbacks.profile_uri(sourced_id),
            "profileType": p["profileType"],
            "vendorId": p["vendorId"],
            "credentials": [{"type": p["credentialType"], "username": p["username"]}],
        }
        for key in ("applicationId", "description"):
            if key in p:
                out[key] = p[key]
        return out

    def _v1p1_roles(self, user: dict[str, Any], roles: list[dict[str, Any]]) -> None:
        if not roles:
            return
        primary = next((r for r in roles if r["roleType"] == "primary"), roles[0])
        user["role"] = V1P1_ROLE.get(primary["role"], primary["role"])
        orgs = list(dict.fromkeys(r["org"] for r in roles))
        user["orgs"] = [self.ref("orgs", o) for o in orgs]

    def _children(self, family: str, objects: list[dict[str, Any]]) -> None:
        table = ROSTER_TABLES[family]
        ids = [o["sourcedId"] for o in objects]
        children = defaultdict(list)
        for c in self.conn.execute(
            select(table.c.parent_id, table.c.sourced_id)
            .where(
                table.c.parent_id.in_(ids),
                table.c.status == "active",
                self.scope.visible(family),
            )
            .order_by(table.c.sourced_id)
        ):
            children[c.parent_id].append(self.ref(family, c.sourced_id))
        for obj in objects:
            if children.get(obj["sourcedId"]):
                obj["children"] = children[obj["sourcedId"]]

    def _extra_orgs(self, orgs: list[dict[str, Any]]) -> None:
        self._children("orgs", orgs)
        for org in orgs:
            org.setdefault("identifier", fallbacks.org_identifier(org["sourcedId"]))

    def _extra_courses(self, courses: list[dict[str, Any]]) -> None:
        for course in courses:
            course.setdefault("courseCode", fallbacks.course_code(course["sourcedId"]))

    def _extra_academicSessions(self, sessions: list[dict[str, Any]]) -> None:  # noqa: N802
        self._children("academicSessions", sessions)
