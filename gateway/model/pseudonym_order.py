"""Per-app order keys of the families an app may be shown pseudonyms of (derived data: it
can be dropped and rebuilt from the store's secret; see gateway/policy/pseudonym_order.py).

An app under a pseudonymous agreement must not receive rows in the district's sourcedId order
(two such apps would join their data by position), and its key cannot be computed in SQL on
every backend (SQLite has no HMAC). So it is kept here, per app, family and row, and joined
into that app's listings; the index on (app, family, sort_key, sourced_id) is the order a
page walks, so a page stays one indexed range scan.
"""

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table

from gateway.model.base import metadata

PSEUDONYM_ORDER = Table(
    "pseudonym_order", metadata,
    Column("app_id", Integer, primary_key=True),
    Column("family", String(32), primary_key=True),
    Column("sourced_id", String(255), primary_key=True),
    # The id the app is shown for the row (its pseudonym, or the id of a row it wrote), or
    # for a family whose ids it is not shown (Ed-Fi's associations) a pseudonym of its own.
    Column("sort_key", String(255), nullable=False),
    Index("ix_pseudonym_order_app_family_key", "app_id", "family", "sort_key", "sourced_id"),
    sqlite_with_rowid=False,
)
# How far (the store's change counter) each app's keys of each family are complete.
PSEUDONYM_ORDER_MARKS = Table(
    "pseudonym_order_marks", metadata,
    Column("app_id", Integer, primary_key=True),
    Column("family", String(32), primary_key=True),
    Column("change_version", BigInteger, nullable=False),
)
