"""The OneRoster collection query language in one import: filter, sort, fields, paging, links.

Pure functions over strings and SQLAlchemy expressions; the views own the request and the
database. Each part lives in its own module; this one only gathers the public names.
"""

from gateway.oneroster.filter_parser import (
    MAX_CLAUSES,
    MAX_FILTER_LENGTH,
    Comparison,
    Logical,
    Node,
    parse_filter,
)
from gateway.oneroster.paging_links import link_header
from gateway.oneroster.query_params import Page, SortKey, parse_fields, parse_page, parse_sort
from gateway.policy.filter_sql import (
    FilterField,
    InvalidFilterValue,
    Resolver,
    compare,
    compile_filter,
    list_field,
)
from gateway.policy.query_errors import (
    INVALID_DATA,
    INVALID_FILTER_FIELD,
    INVALID_SELECTION_FIELD,
    INVALID_SORT_FIELD,
    QueryError,
)

__all__ = [
    "INVALID_DATA",
    "INVALID_FILTER_FIELD",
    "INVALID_SELECTION_FIELD",
    "INVALID_SORT_FIELD",
    "MAX_CLAUSES",
    "MAX_FILTER_LENGTH",
    "Comparison",
    "FilterField",
    "InvalidFilterValue",
    "Logical",
    "Node",
    "Page",
    "QueryError",
    "Resolver",
    "SortKey",
    "compare",
    "compile_filter",
    "link_header",
    "list_field",
    "parse_fields",
    "parse_filter",
    "parse_page",
    "parse_sort",
]
