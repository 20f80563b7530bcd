"""What a stored document names about other rows, and one app's view of them.

A document embeds references to rows an app may not be allowed to see (a user's roles at other
schools, opted-out agents, an org's children outside the agreement). `pack_refs` stores, beside
each document, what it names; `Named.hidden_from(view)` tells, without decoding the document,
whether it must be pruned for an app (then the wire format's own detail says how).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from adapters.canonical import FAMILIES


@cache
def optional_fields(family: str) -> frozenset[str]:
    """Fields a served row of `family` carries only where the agreement grants their
    sensitive category (beyond a category gating the whole family). Documents keep them
    apart, so an agreement without them is served without decoding a document."""
    return frozenset(f.name for f in FAMILIES[family].fields if f.sensitive)


@dataclass(frozen=True)
class View:
    """What one app may see of the rows a page's documents embed: `orgs` (None: every org),
    and of the users they name, those it may see (`visible_users`, None: all but
    `hidden_users`, the opted-out)."""

    orgs: frozenset[str] | None
    visible_users: frozenset[str] | None
    hidden_users: frozenset[str] = frozenset()

    def sees_user(self, user: str) -> bool:
        if user in self.hidden_users:
            return False
        return self.visible_users is None or user in self.visible_users

    def sees_org(self, org: str) -> bool:
        return self.orgs is None or org in self.orgs


SECTION, ITEM = "\x1e", "\x1f"  # control characters never occur in ids (refused at import)


def pack_refs(student_orgs: Iterable[str], orgs: Iterable[str], users: Iterable[str],
              detail: str) -> str:
    """What a stored document names about other rows, for the policy layer: the orgs where
    its row holds a student role (the disclosure log's question), every org and user it
    names, then the wire format's own detail for pruning (JSON). The first three are read
    for every row of a page without decoding anything; the detail only when an app may not
    see something the document names."""
    return SECTION.join((ITEM.join(student_orgs), ITEM.join(orgs), ITEM.join(users), detail))


@dataclass(frozen=True)
class Named:
    student_orgs: list[str]
    orgs: list[str]
    users: list[str]
    detail: str

    @classmethod
    def unpack(cls, text: str) -> Named:
        student, orgs, users, detail = text.split(SECTION, 3)
        return cls(student.split(ITEM) if student else [], orgs.split(ITEM) if orgs else [],
                   users.split(ITEM) if users else [], detail)

    def hidden_from(self, view: View) -> bool:
        """Whether the document names something `view` may not see (then it is pruned)."""
        if view.orgs is not None and not view.orgs.issuperset(self.orgs):
            return True
        if not self.users:
            return False
        if view.visible_users is not None and not view.visible_users.issuperset(self.users):
            return True
        return not view.hidden_users.isdisjoint(self.users)

    def is_student(self, view: View) -> bool:
        return any(view.sees_org(org) for org in self.student_orgs)


