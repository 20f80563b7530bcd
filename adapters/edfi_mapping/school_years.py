"""School years: one number in the canonical model, two spellings in Ed-Fi.

The canonical `schoolYear` is the calendar year the school year ends in (OneRoster's rule:
2021-2022 is 2022). Ed-Fi JSON uses the same integer (`schoolYear: 2022`); Ed-Fi XML interchange
files write the span (`2021-2022`) in SchoolYearType values. Both are accepted on input; the
outputs are strict.
"""

from __future__ import annotations

import re

_SPAN = re.compile(r"^\s*(\d{4})\s*-\s*(\d{4})\s*$")
_YEAR = re.compile(r"^\s*(\d{4})\s*$")
EARLIEST, LATEST = 1991, 2050  # the SchoolYearType range an Ed-Fi host preloads


class SchoolYearError(ValueError):
    """A school year that is neither `YYYY` nor a consecutive `YYYY-YYYY` span."""


def parse_school_year(value: object) -> int:
    """The canonical year of `2022`, `"2022"` or `"2021-2022"`."""
    if isinstance(value, bool):
        raise SchoolYearError(f"{value!r} is not a school year")
    if isinstance(value, int):
        year = value
    else:
        text = str(value)
        span = _SPAN.match(text)
        single = _YEAR.match(text)
        if span:
            first, last = int(span.group(1)), int(span.group(2))
            if last != first + 1:
                raise SchoolYearError(f"{text!r}: the two years of a span must be consecutive")
            year = last
        elif single:
            year = int(single.group(1))
        else:
            raise SchoolYearError(f"{text!r} is not a school year (YYYY or YYYY-YYYY)")
    if not EARLIEST <= year <= LATEST:
        raise SchoolYearError(f"{year} is outside the school years {EARLIEST}-{LATEST}")
    return year


def json_school_year(value: object) -> int:
    """Ed-Fi JSON form (the ending year, an integer)."""
    return parse_school_year(value)


def xml_school_year(value: object) -> str:
    """Ed-Fi XML interchange form (`2021-2022`)."""
    year = parse_school_year(value)
    return f"{year - 1}-{year}"
