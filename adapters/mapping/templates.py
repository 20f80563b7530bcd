"""String templates such as `ps-term-{SchoolID}-{ID}`: how mappings build keys from columns.

A placeholder names a column (`{SchoolID}`), a mapping variable (`{$district}`) or, inside a
`format`, the value being formatted (`{value}`). Variables are fixed when the mapping loads.
A template whose column is blank renders as blank, so a half-built key never reaches the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


class TemplateError(ValueError):
    pass


def scalar_text(value: object, name: str) -> str:
    """A placeholder's value as text: a CSV cell already is; a JSON value may be a number, a
    boolean or null, but a list or an object cannot stand inside a key."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    raise TemplateError(f"{{{name}}} is a {type(value).__name__}, not one value")


@dataclass(frozen=True, slots=True)
class Template:
    text: str
    parts: tuple[tuple[bool, str], ...]  # (is_placeholder, literal text or column name)

    @property
    def columns(self) -> frozenset[str]:
        return frozenset(name for is_slot, name in self.parts if is_slot and name != "value")

    def render(self, row: Mapping[str, object], value: str | None = None) -> str | None:
        """The text, or None when a placeholder is blank; TemplateError when a placeholder
        names a list or an object (JSON records)."""
        out: list[str] = []
        for is_slot, text in self.parts:
            if not is_slot:
                out.append(text)
                continue
            piece = value if (text == "value" and value is not None) else \
                scalar_text(row.get(text), text)
            if not piece:
                return None
            out.append(piece)
        return "".join(out)


def parse_template(
    text: str, variables: Mapping[str, str], *, allow_value: bool = False
) -> Template:
    """Split `text` into literals and placeholders; substitute `{$name}` variables now."""
    parts: list[tuple[bool, str]] = []
    literal = ""
    i = 0
    while i < len(text):
        char = text[i]
        if char == "}":
            raise TemplateError(f"template {text!r} has a '}}' without a matching '{{'")
        if char != "{":
            literal += char
            i += 1
            continue
        end = text.find("}", i)
        if end < 0:
            raise TemplateError(f"template {text!r} has a '{{' that is never closed")
        name = text[i + 1 : end].strip()
        if not name or "{" in name:
            raise TemplateError(f"template {text!r} has an empty or nested placeholder")
        if name.startswith("$"):
            var = name[1:]
            if var not in variables:
                known = ", ".join(sorted(variables)) or "none"
                raise TemplateError(
                    f"template {text!r} uses unknown variable ${var}; known: {known}"
                )
            literal += str(variables[var])
        else:
            if name == "value" and not allow_value:
                raise TemplateError("{value} can only be used in 'format'")
            if literal:
                parts.append((False, literal))
                literal = ""
            parts.append((True, name))
        i = end + 1
    if literal:
        parts.append((False, literal))
    return Template(text, tuple(parts))
