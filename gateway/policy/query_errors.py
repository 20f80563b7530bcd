"""The one error type the OneRoster query language raises, shaped for an imsx_StatusInfo body."""

from __future__ import annotations

# `code_minor` holds the gateway's reason, a key of gateway.oneroster.errors.CODES, which turns it
# into each version's wire token. The 1.2 Rostering OpenAPI's codeMinor vocabulary has no
# `invalid_sort_field` and spells bad data `invaliddata`, so those two reasons go out in 1.2 as
# `invalid_selection_field` and `invaliddata`, and in 1.1 as `invalid_sort_field` and
# `invalid data`.
INVALID_FILTER_FIELD = "invalid_filter_field"
INVALID_SELECTION_FIELD = "invalid_selection_field"
INVALID_SORT_FIELD = "invalid_sort_field"
INVALID_DATA = "invalid_data"  # malformed limit / offset


class QueryError(Exception):
    """A client's query parameter the gateway cannot honour.

    The view turns it into a 400 with `message` as imsx_description, so the message names the
    parameter, the offending text and the reason.
    """

    def __init__(
        self, code_minor: str, message: str, *, parameter: str, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.code_minor = code_minor
        self.message = message
        self.parameter = parameter  # "filter" | "sort" | "orderBy" | "fields" | "limit" | "offset"
        self.field = field  # the offending field name, or the parameter's whole text

    def __repr__(self) -> str:
        return f"QueryError({self.code_minor!r}, {self.message!r})"
