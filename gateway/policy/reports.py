"""Reports built from the disclosure log: a parent's record of disclosures (FERPA 99.32: who
received the student's data, when, which fields, under which agreement and purpose), a breach
report (which students an app was sent which fields in a window: the facts NY Part 121.10
asks for), and the public transparency listing (each app, its purpose, what it receives,
where, until when)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import Engine, select

from gateway.model import AgreementRow, App, DisclosedStudent, Disclosure
from gateway.policy.agreement import SENSITIVE, from_document
from gateway.policy.disclosures import index_students
from gateway.policy.district_reads import schools as school_names
from gateway.policy.district_reads import students_named
from gateway.store.engine import for_writes

DISCLOSURES = Disclosure.__table__
STUDENTS = DisclosedStudent.__table__
APPS = App.__table__
AGREEMENTS = AgreementRow.__table__


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class AppDisclosures:
    client_id: str
    name: str
    agreement: str
    purpose: str
    events: list[tuple[datetime, str, tuple[str, ...]]] = field(default_factory=list)

    @property
    def fields(self) -> list[str]:
        return sorted({f for _at, _endpoint, fields in self.events for f in fields})

    @property
    def first(self) -> datetime:
        return min(at for at, _endpoint, _fields in self.events)

    @property
    def last(self) -> datetime:
        return max(at for at, _endpoint, _fields in self.events)


@dataclass
class ParentReport:
    student_id: str
    student_name: str
    produced: datetime
    apps: list[AppDisclosures]

    @property
    def total(self) -> int:
        return sum(len(a.events) for a in self.apps)


def parent_report(engine: Engine, student_id: str) -> ParentReport:
    with for_writes(engine).begin() as conn:
        index_students(conn)
    by_app: dict[str, AppDisclosures] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(DISCLOSURES.c.at, DISCLOSURES.c.endpoint, DISCLOSURES.c.fields,
                   APPS.c.client_id, APPS.c.name, AGREEMENTS.c.name.label("agreement"),
                   AGREEMENTS.c.purpose)
            .join(STUDENTS, STUDENTS.c.disclosure_id == DISCLOSURES.c.id)
            .join(APPS, APPS.c.id == DISCLOSURES.c.app_id, isouter=True)
            .join(AGREEMENTS, AGREEMENTS.c.id == APPS.c.agreement_id, isouter=True)
            .where(STUDENTS.c.student_id == student_id).order_by(DISCLOSURES.c.id)).all()
    for r in rows:
        key = r.client_id or "?"
        app = by_app.setdefault(key, AppDisclosures(key, r.name or "(removed app)",
                                                    r.agreement or "", r.purpose or ""))
        app.events.append((_aware(r.at), r.endpoint,
                           tuple(f for f in (r.fields or "").split(",") if f)))
    named = students_named(engine, [student_id]).get(student_id)
    return ParentReport(student_id, named.name if named else student_id, datetime.now(UTC),
                        sorted(by_app.values(), key=lambda a: a.name.casefold()))


@dataclass(frozen=True)
class BreachRow:
    student_id: str
    student_name: str
    first: datetime
    last: datetime
    responses: int
    fields: tuple[str, ...]


def breach_report(engine: Engine, client_id: str, since: datetime,
                  until: datetime) -> list[BreachRow]:
    """Every student the app was sent in [since, until), with the fields and how often."""
    with for_writes(engine).begin() as conn:
        index_students(conn)
    seen: dict[str, list] = {}
    fields: dict[str, set[str]] = defaultdict(set)
    with engine.connect() as conn:
        for student, at, names in conn.execute(
                select(STUDENTS.c.student_id, DISCLOSURES.c.at, DISCLOSURES.c.fields)
                .join(DISCLOSURES, DISCLOSURES.c.id == STUDENTS.c.disclosure_id)
                .join(APPS, APPS.c.id == DISCLOSURES.c.app_id)
                .where(APPS.c.client_id == client_id, DISCLOSURES.c.at >= since,
                       DISCLOSURES.c.at < until)):
            at = _aware(at)
            entry = seen.setdefault(student, [at, at, 0])
            entry[0], entry[1], entry[2] = min(entry[0], at), max(entry[1], at), entry[2] + 1
            fields[student].update(f for f in (names or "").split(",") if f)
    named = students_named(engine, list(seen))
    return [BreachRow(s, named[s].name if s in named else "", v[0], v[1], v[2],
                      tuple(sorted(fields[s]))) for s, v in sorted(seen.items())]


# What a family means to a parent (the transparency page names categories, not tables).
CATEGORY_OF = {
    "users": "names and school accounts", "roles": "names and school accounts",
    "userProfiles": "names and school accounts", "orgs": "schools",
    "classes": "classes and schedules", "courses": "classes and schedules",
    "academicSessions": "classes and schedules", "enrollments": "class enrollments",
    "demographics": "demographics", "lineItems": "assignments and grades",
    "results": "assignments and grades", "categories": "assignments and grades",
    "scoreScales": "assignments and grades", "resources": "learning resources",
}
SCOPE_FAMILIES = {
    "roster-core": ("users", "orgs", "classes", "enrollments"),
    "roster.": ("users", "orgs", "classes", "enrollments", "courses"),
    "roster-demographics": ("demographics",),
    "gradebook": ("lineItems", "results"), "resource": ("resources",),
    "edfi.": ("users", "orgs", "classes", "enrollments"),
}
SENSITIVE_LABELS = {"demographics": "demographics (race, ethnicity, sex)",
                    "birth_date": "birth date", "contact": "contact details (e-mail, phone)",
                    "identifiers": "state and district identifiers"}


@dataclass(frozen=True)
class TransparencyEntry:
    name: str
    purpose: str
    categories: tuple[str, ...]
    sensitive: tuple[str, ...]
    schools: tuple[str, ...]
    ends: date
    ended: bool


def transparency(engine: Engine, today: date | None = None) -> list[TransparencyEntry]:
    today = today or datetime.now(UTC).date()
    names = dict(school_names(engine))
    with engine.connect() as conn:
        rows = conn.execute(select(APPS.c.name, APPS.c.disabled, AGREEMENTS.c.document,
                                   AGREEMENTS.c.terminated_at)
                            .join(AGREEMENTS, AGREEMENTS.c.id == APPS.c.agreement_id)
                            .order_by(APPS.c.name)).all()
    out = []
    for row in rows:
        agreement = from_document(row.document)
        families = {fam for scope in agreement.scopes for key, fams in SCOPE_FAMILIES.items()
                    if key in scope.rsplit("/", 1)[-1] for fam in fams
                    if agreement.may_read_family(fam)}
        categories = tuple(sorted({CATEGORY_OF.get(f, f) for f in families}))
        sensitive = tuple(SENSITIVE_LABELS.get(c, c) for c in sorted(agreement.sensitive)
                          if c in SENSITIVE)
        where = ("every school",) if agreement.schools is None else tuple(
            sorted(names.get(s, s) for s in agreement.schools))
        ended = bool(row.disabled) or row.terminated_at is not None or agreement.expired(today)
        out.append(TransparencyEntry(row.name, agreement.purpose, categories, sensitive, where,
                                     agreement.expires, ended))
    return out


def app_disclosures(engine: Engine, client_id: str, limit: int = 200) -> list[dict]:
    """The app's latest responses that carried students: when, what, which fields, how many."""
    with engine.connect() as conn:
        return [r._asdict() for r in conn.execute(
            select(DISCLOSURES.c.id, DISCLOSURES.c.at, DISCLOSURES.c.endpoint,
                   DISCLOSURES.c.fields, DISCLOSURES.c.student_count)
            .join(APPS, APPS.c.id == DISCLOSURES.c.app_id)
            .where(APPS.c.client_id == client_id)
            .order_by(DISCLOSURES.c.id.desc()).limit(limit))]


def chain_status(engine: Engine) -> tuple[int, int | None]:
    """(disclosures in the log, the first broken link or None when the chain holds)."""
    from gateway.policy.disclosures import count, verify_chain

    with engine.connect() as conn:
        return count(conn), verify_chain(conn)
