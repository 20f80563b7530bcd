"""Canonical rows -> OneRoster 1.1 and 1.2 documents, rendered once, when a row changes.

The sync engine calls `render` for every row a run changed (and for rows whose documents embed
a changed row: a user's roles and profiles, an org's or session's children) and stores the JSON
beside the row; the policy layer serves it as it is. So a document is a pure function of stored
rows: no request, no app, no base URL. References carry root-relative hrefs
(`/ims/oneroster/...`); the wire layer prefixes the deployment's public root when it sends them.

What a document embeds about other rows that an app may not see (a user's roles at other
schools, agents who are opted out or out of scope, an org's children) is repeated in `refs`, so
the policy layer can prune it per app without reading those rows again (see `prune`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any
from urllib.parse import quote

import orjson

from adapters.canonical import FAMILIES
from gateway.documents import oneroster_fallbacks as fallbacks
from gateway.documents.names import View, optional_fields, pack_refs
from gateway.documents.oneroster_catalogue import (
    ONLY_V1P2,
    REF_TARGETS,
    V1P1,
    V1P1_RENAMES,
    V1P1_ROLE,
    V1P2,
)

VERSIONS = (V1P1, V1P2)
# Raise when what `render` produces changes: stores rendered by an older release are rendered
# again when a command next opens them (gateway.sync.documents.ensure_documents).
FORMAT_VERSION = 4
# Where each version's services live, relative to the public root.
SERVICE_ROOTS = {
    V1P1: {"rostering": "/ims/oneroster/v1p1", "gradebook": "/ims/oneroster/v1p1",
           "resources": "/ims/oneroster/v1p1"},
    V1P2: {name: f"/ims/oneroster/{name}/v1p2" for name in ("rostering", "gradebook",
                                                           "resources")},
}
HREF_PREFIX = b'"href":"/ims/oneroster/'
# Families whose documents embed rows the policy layer may have to prune for one app.
PRUNABLE = frozenset({"users", "orgs"})


def timestamp(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON with sorted keys, as every OneRoster response is sent."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


@dataclass(frozen=True)
class Row:
    sourced_id: str
    status: str
    date_last_modified: datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class RoleRow:
    """One active role of a user, as the roles family stores it."""

    sourced_id: str
    data: dict[str, Any]

    @property
    def org(self) -> str:
        return self.data["org"]

    @property
    def student(self) -> str | None:
        return self.data.get("student")


@dataclass
class Related:
    """What the documents of a batch of rows embed from other rows (all active)."""

    roles: dict[str, list[RoleRow]] = field(default_factory=dict)  # user -> own roles
    # user -> roles of others that name the user as their student (a contact's role)
    contact_roles: dict[str, list[tuple[str, RoleRow]]] = field(default_factory=dict)
    profiles: dict[str, list[tuple[str, dict[str, Any]]]] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    # For users holding no role: (school, enrollment role) of their active enrollments, in
    # order, and the district org (the first by sourcedId), which the fallbacks name.
    enrolled: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    district: str | None = None


@dataclass(frozen=True)
class Rendered:
    sourced_id: str
    v1p1: bytes
    v1p2: bytes
    refs: str | None
    extra: str | None  # the optional (sensitive) fields, the same in both versions


@lru_cache(maxsize=1 << 16)
def _quoted(sourced_id: str) -> str:
    return quote(sourced_id, safe="")


@lru_cache(maxsize=64)
def timestamp_of(value: datetime) -> str:
    """A run stamps every row it changes with one time: render it once."""
    return timestamp(value)


def ref(version: str, target_family: str, sourced_id: str) -> dict[str, str]:
    target = REF_TARGETS[target_family]
    href = f"{SERVICE_ROOTS[version][target.service]}/{target.collection}/{_quoted(sourced_id)}"
    return {"href": href, "sourcedId": sourced_id, "type": target.type}


def render(family: str, rows: Iterable[Row], related: Related) -> list[Rendered]:
    out = []
    plans = {v: _plan(family, v) for v in VERSIONS}
    optional = optional_fields(family)
    for row in rows:
        docs = {v: _base(plans[v], v, row) for v in VERSIONS}
        refs = None
        if family == "users":
            refs = _users(row, docs, related)
        elif family in ("orgs", "academicSessions"):
            refs = _children(family, row, docs, related)
        if family == "demographics" and docs[V1P1].get("sex") not in (None, "male", "female"):
            del docs[V1P1]["sex"]  # 1.1 knows only male and female
        for doc in docs.values():
            _required_fallbacks(family, row, doc)
        extra = {name: docs[V1P2][name] for name in optional if name in docs[V1P2]}
        for doc in docs.values():
            for name in optional:
                doc.pop(name, None)
        out.append(Rendered(row.sourced_id, dumps(docs[V1P1]), dumps(docs[V1P2]),
                            refs,
                            dumps(extra).decode() if extra else None))
    return out


@cache
def _plan(family: str, version: str) -> dict[str, tuple[str, str, str | None]]:
    """canonical field -> (wire name, kind, target) for the fields `version` carries."""
    drop = {f.name for f in FAMILIES[family].fields if not f.oneroster}
    renames: dict[str, str] = {}
    if version == V1P1:
        drop |= ONLY_V1P2.get(family, frozenset())
        renames = {v: k for k, v in V1P1_RENAMES.get(family, {}).items()}
    return {f.name: (renames.get(f.name, f.name), f.kind, f.target)
            for f in FAMILIES[family].fields if f.name not in drop}


def _required_fallbacks(family: str, row: Row, doc: dict[str, Any]) -> None:
    """Values 1.2 requires that a source left out (gateway/documents/oneroster_fallbacks.py),
    in both versions alike."""
    if family == "orgs":
        doc.setdefault("identifier", fallbacks.org_identifier(row.sourced_id))
    elif family == "courses":
        doc.setdefault("courseCode", fallbacks.course_code(row.sourced_id))


def _base(plan: dict[str, tuple[str, str, str | None]], version: str,
          row: Row) -> dict[str, Any]:
    obj: dict[str, Any] = {"sourcedId": row.sourced_id, "status": row.status,
                           "dateLastModified": timestamp_of(row.date_last_modified)}
    for name, value in row.data.items():
        found = plan.get(name)
        if found is None:
            continue
        wire, kind, target = found
        if kind == "bool":
            value = "true" if value else "false"
        elif kind == "ref":
            value = ref(version, target, value)  # type: ignore[arg-type]
        elif kind == "refs":
            value = [ref(version, target, v) for v in value]  # type: ignore[arg-type]
        obj[wire] = value
    return obj


# -- users ---------------------------------------------------------------------------------
def _users(row: Row, docs: dict[str, dict[str, Any]], related: Related) -> str:
    """Roles (1.2 `roles[]`, 1.1 `role` + `orgs`), profiles and agents. `refs` keeps, per
    role, the org and (for a contact's role towards one child) the child, and per agent the
    orgs of the roles that link them, so `prune` can redo this for one app's view."""
    uid = row.sourced_id
    mine = related.roles.get(uid, []) or _fallback_roles(row, related)
    rendered = [_role(r.data) for r in mine]
    unique: list[dict[str, Any]] = []
    roles_refs = []
    for role, rendered_role in zip(mine, rendered, strict=True):
        if rendered_role not in unique:
            unique.append(rendered_role)
        roles_refs.append([unique.index(rendered_role), role.org, role.student,
                           role.data["role"], role.data["roleType"]])
    docs[V1P2]["roles"] = unique
    profiles = related.profiles.get(uid, [])
    if profiles:
        docs[V1P2]["userProfiles"] = [_profile(sid, p) for sid, p in profiles]
    _v1p1_roles(docs[V1P1], [(r[3], r[4], r[1]) for r in roles_refs])
    agents = _agents(row, mine, related)
    for version in VERSIONS:
        if agents:
            docs[version]["agents"] = [ref(version, "users", a) for a, _orgs in agents]
        else:
            docs[version].pop("agents", None)
    student_orgs = sorted({r[1] for r in roles_refs if r[3] == "student" and r[2] is None})
    names = sorted({r[2] for r in roles_refs if r[2]} | {a for a, _ in agents})
    orgs = sorted({r[1] for r in roles_refs} | {o for _, found in agents for o in found})
    detail = {"roles": roles_refs, "agents": [[a, orgs] for a, orgs in agents]}
    return pack_refs(student_orgs, orgs, names, dumps(detail).decode())


def _fallback_roles(row: Row, related: Related) -> list[RoleRow]:
    """OneRoster requires a role: a user holding none gets the roles its enrollments imply,
    else one at its primaryOrg, else at the district (oneroster_fallbacks.py). They name their
    org like real roles, so an app outside that org has them pruned all the same."""
    roles: list[dict[str, Any]] = []
    for school, enrollment_role in related.enrolled.get(row.sourced_id, ()):
        fallbacks.add_enrolled_role(roles, school, enrollment_role)
    if not roles:
        org = row.data.get("primaryOrg") or related.district
        if org is not None:
            roles.append(fallbacks.person_role(row.data, org))
    return [RoleRow(f"{row.sourced_id}#implied-{n}", r) for n, r in enumerate(roles)]


def _agents(row: Row, mine: list[RoleRow], related: Related) -> list[tuple[str, list[str]]]:
    """Agents in document order: the source's own `agents` field (shown whenever the agent
    may be seen), then the links a contact's role makes, both ways (shown only where the app
    may see that role's org as well)."""
    found: dict[str, list[str] | None] = {}
    for agent in row.data.get("agents", ()):
        found.setdefault(agent, None)
    links = [(r.student, r.org) for r in mine if r.student]
    links += [(user, r.org) for user, r in related.contact_roles.get(row.sourced_id, [])]
    for agent, org in links:
        if agent not in found:
            found[agent] = [org]
        elif found[agent] is not None and org not in found[agent]:  # type: ignore[operator]
            found[agent].append(org)  # type: ignore[union-attr]
    return [(agent, [] if orgs is None else orgs) for agent, orgs in found.items()]


def _role(role: dict[str, Any]) -> dict[str, Any]:
    out = {"roleType": role["roleType"], "role": role["role"],
           "org": ref(V1P2, "orgs", role["org"])}
    for key in ("userProfile", "beginDate", "endDate"):
        if key in role:
            out[key] = role[key]
    if "userProfile" in out:
        out["userProfile"] = fallbacks.profile_uri(out["userProfile"])
    return out


def _profile(sourced_id: str, p: dict[str, Any]) -> dict[str, Any]:
    out = {"profileId": fallbacks.profile_uri(sourced_id), "profileType": p["profileType"],
           "vendorId": p["vendorId"],
           "credentials": [{"type": p["credentialType"], "username": p["username"]}]}
    for key in ("applicationId", "description"):
        if key in p:
            out[key] = p[key]
    return out


def _v1p1_roles(user: dict[str, Any], roles: list[tuple[str, str, str]]) -> None:
    """1.1's single `role` (the primary one, in 1.1's vocabulary) and `orgs`, from the
    (role, roleType, org) of the roles the app may see."""
    user.pop("role", None)
    user.pop("orgs", None)
    if not roles:
        return
    primary = next((r for r in roles if r[1] == "primary"), roles[0])
    user["role"] = V1P1_ROLE.get(primary[0], primary[0])
    user["orgs"] = [ref(V1P1, "orgs", o) for o in dict.fromkeys(r[2] for r in roles)]


# -- orgs and sessions -------------------------------------------------------------------
def _children(family: str, row: Row, docs: dict[str, dict[str, Any]],
              related: Related) -> str | None:
    children = related.children.get(row.sourced_id, [])
    for version in VERSIONS:
        if children:
            docs[version]["children"] = [ref(version, family, c) for c in children]
    if family != "orgs" or not children:
        return None  # a session's children are district-wide: nothing to prune
    return pack_refs((), children, (), dumps(children).decode())


# -- one app's view ------------------------------------------------------------------------
def _agent_visible(view: View, agent: str, orgs: list[str]) -> bool:
    return view.sees_user(agent) and (not orgs or any(view.sees_org(o) for o in orgs))


def _role_visible(view: View, role: list[Any]) -> bool:
    _index, org, student, _role_name, _type = role
    return view.sees_org(org) and (not student or view.sees_user(student))


@dataclass(frozen=True)
class StoredDocuments:
    """One version's documents as the policy layer's read engine uses them."""

    version: str

    @property
    def column(self) -> str:
        return "doc_v1p1" if self.version == V1P1 else "doc_v1p2"

    def prune(self, family: str, doc: dict[str, Any], refs: Any,
              view: View) -> dict[str, Any]:
        """The document as one app may see it: embedded rows it may not see removed, and what
        is derived from them (1.1 `role` and `orgs`) derived again from what remains. `refs`
        is the detail `render` packed: an org's children, a user's roles and agents."""
        version = self.version
        if family == "orgs":
            children = [c for c in refs if view.sees_org(c)]
            if children:
                doc["children"] = [ref(version, "orgs", c) for c in children]
            else:
                doc.pop("children", None)
            return doc
        roles = [r for r in refs["roles"] if _role_visible(view, r)]
        if version == V1P1:
            _v1p1_roles(doc, [(r[3], r[4], r[1]) for r in roles])
        else:
            doc["roles"] = [doc["roles"][i] for i in sorted({r[0] for r in roles})]
        agents = [a for a, orgs in refs["agents"] if _agent_visible(view, a, orgs)]
        if agents:
            doc["agents"] = [ref(version, "users", a) for a in agents]
        else:
            doc.pop("agents", None)
        return doc

    def pseudonymise(self, family: str, doc: bytes, shown: Any, own: bool) -> bytes:
        """The document with the app's pseudonyms for the district's ids (`shown`: a
        gateway.policy.shown_ids.ShownIds): its own sourcedId (unless `own`, a row the app
        wrote) and every reference to a user or a class, href included."""
        obj = orjson.loads(doc)
        if not own and isinstance(obj.get("sourcedId"), str):
            obj["sourcedId"] = shown.shown_in(family, obj["sourcedId"])
        for key, value in obj.items():
            if isinstance(value, dict | list):
                obj[key] = _renamed_refs(value, shown)
        return dumps(obj)


# GUIDRef type -> the family it names, for the references pseudonyms may replace.
_REF_FAMILIES = {REF_TARGETS["users"].type: "users", REF_TARGETS["classes"].type: "classes"}


def _renamed_refs(value: Any, shown: Any) -> Any:
    if isinstance(value, list):
        return [_renamed_refs(v, shown) for v in value]
    if not isinstance(value, dict):
        return value
    target = _REF_FAMILIES.get(value.get("type"))  # type: ignore[arg-type]
    if target is not None and isinstance(value.get("sourcedId"), str):
        new = shown.shown_ref(target, value["sourcedId"])
        if new != value["sourcedId"]:
            value = {**value, "sourcedId": new}
            href = value.get("href")
            if isinstance(href, str):
                value["href"] = href[:href.rfind("/") + 1] + _quoted(new)
        return value
    return {k: _renamed_refs(v, shown) if isinstance(v, dict | list) else v
            for k, v in value.items()}


STORED = {version: StoredDocuments(version) for version in VERSIONS}
