"""`ref=` (XML IDREF) references across the files of an interchange set.

Ed-Fi lets a reference name the record it points at in two ways: by its natural key
(`<SchoolReference><SchoolIdentity><SchoolId>...`) or by the XML `id` of an element of the
same interchange (`<LocalEducationAgencyReference ref="LEA_1"/>`, `<GradingPeriodReference
ref="GP_3"/>`). The adapter turns the second into the first: every top-level element with an
`id` is remembered with its kind, place and natural key, and a `ref` becomes that key, as if
the reference had spelled it out.

Bounded: one small entry per element that has an `id` (its kind, file, line and key values),
never the element itself, so the index grows with the records a set names by id, not with its
bytes. The first pass over the set records every id; until it is over, a `ref` to an id not yet
seen is `Unresolved` (the adapter puts the element off and reads it again once the index is
whole); after it, such a `ref` is a row error naming the reference and the missing id.

An id is looked up in the referencing element's own file first (XML ids are unique per
document), then in the other files in reading order.
"""

from __future__ import annotations

from typing import Any

from adapters.edfi_xml.layouts import EDORG_IDS, EDORG_REFERENCE, referenced_element

# key parts still to resolve: (reference element, the id it names)
Later = tuple[tuple[str, str], ...]
_MAX_DEPTH = 16  # keys built from keys: a section's offering's session's school


class Unresolved(Exception):
    """A `ref` to an id the first pass has not met yet: read the element again later."""


class RefProblem(ValueError):
    """A `ref` that names nothing usable; the message says what and where."""


class _Pending:
    """The key of an element with an id whose own references were not resolvable when it was
    read (they named ids further on in the set)."""

    __slots__ = ("later", "parts")

    def __init__(self, parts: tuple[tuple[str, Any], ...], later: Later) -> None:
        self.parts = parts
        self.later = later


# An entry: (file number, element, line, key). The key is the sorted (name, value) pairs, a
# _Pending, a str (why it cannot be read), or None (an element the adapter never needs a key of).
Entry = tuple[int, str, int, Any]


class IdIndex:
    def __init__(self) -> None:
        self.final = False  # every file's ids are in: an unknown id is now an error
        self._files: list[str] = []
        self._numbers: dict[str, int] = {}
        self._first: dict[str, Entry] = {}
        self._elsewhere: dict[str, list[Entry]] = {}  # the same id in further files
        self._resolving: set[str] = set()

    def __len__(self) -> int:
        return len(self._first) + sum(len(e) for e in self._elsewhere.values())

    def record(self, file: str, xml_id: str, element: str, line: int, key: Any) -> None:
        """Remembers an element's id. `key` is a dict, a (dict, later) pair, a str saying why
        the key cannot be read, or None."""
        number = self._number(file)
        if isinstance(key, tuple):
            parts, later = key
            stored: Any = _Pending(tuple(sorted(parts.items())), later) if later else \
                tuple(sorted(parts.items()))
        elif isinstance(key, dict):
            stored = tuple(sorted(key.items()))
        else:
            stored = key
        entry = (number, element, line, stored)
        first = self._first.get(xml_id)
        if first is None:
            self._first[xml_id] = entry
        elif first[0] != number and all(e[0] != number
                                        for e in self._elsewhere.get(xml_id, ())):
            self._elsewhere.setdefault(xml_id, []).append(entry)
        # the same id twice in one file is not valid XML: the first one stands

    def key(self, ref: str, reference: str, file: str) -> dict[str, Any]:
        """The natural key `<reference ref="...">` in `file` stands for, named as the reference
        names its key parts."""
        entry = self._entry(ref, file)
        if entry is None:
            if not self.final:
                raise Unresolved(ref)
            raise RefProblem(f"ref={ref!r} names nothing: no element of the interchange set "
                             f"has id={ref!r}")
        number, element, line, stored = entry
        where = f"{element} at {self._files[number]} line {line}"
        wanted = referenced_element(reference)
        if reference == EDORG_REFERENCE and element != reference:
            if element not in EDORG_IDS:
                raise RefProblem(f"ref={ref!r} names a {where}, not an education organization")
        elif element not in (wanted, reference):  # the element, or a reference to it
            raise RefProblem(f"ref={ref!r} names a {where}, not a {wanted}")
        parts = self._complete(ref, entry) if isinstance(stored, _Pending) else stored
        if isinstance(parts, str):
            raise RefProblem(f"ref={ref!r} names the {where}, whose own key cannot be read: "
                             f"{parts}")
        if parts is None:
            raise RefProblem(f"ref={ref!r} names the {where}, which has no key to read")
        key = dict(parts)
        if reference == EDORG_REFERENCE and element in EDORG_IDS:
            return {"educationOrganizationId": key.get(EDORG_IDS[element])}
        return key

    def _entry(self, ref: str, file: str) -> Entry | None:
        first = self._first.get(ref)
        if first is None:
            return None
        number = self._numbers.get(file)
        if first[0] == number:
            return first
        return next((e for e in self._elsewhere.get(ref, ()) if e[0] == number), first)

    def _complete(self, ref: str, entry: Entry) -> Any:
        """Resolves the references a pending key waited for, and keeps the result (or why it
        failed) in place of the pending key."""
        number, element, line, pending = entry
        if ref in self._resolving or len(self._resolving) >= _MAX_DEPTH:
            return f"its references go round in a circle through id={ref!r}"
        self._resolving.add(ref)
        try:
            key = dict(pending.parts)
            for reference, inner in pending.later:
                for name, value in self.key(inner, reference, self._files[number]).items():
                    if key.setdefault(name, value) != value:
                        raise RefProblem(f"{name} is {key[name]!r} in the element but "
                                         f"{value!r} in the element ref={inner!r} names")
            done: Any = tuple(sorted(key.items()))
        except RefProblem as exc:
            done = str(exc)
        finally:
            self._resolving.discard(ref)
        self._replace(ref, entry, done)
        return done

    def _replace(self, ref: str, entry: Entry, stored: Any) -> None:
        updated = (*entry[:3], stored)
        if self._first.get(ref) is entry:
            self._first[ref] = updated
            return
        others = self._elsewhere.get(ref, [])
        for at, other in enumerate(others):
            if other is entry:
                others[at] = updated

    def _number(self, file: str) -> int:
        number = self._numbers.get(file)
        if number is None:
            number = self._numbers[file] = len(self._files)
            self._files.append(file)
        return number


class Refs:
    """The index as one file's elements see it (their own file first)."""

    __slots__ = ("file", "index")

    def __init__(self, index: IdIndex, file: str) -> None:
        self.index = index
        self.file = file

    def key(self, ref: str, reference: str) -> dict[str, Any]:
        return self.index.key(ref, reference, self.file)
