"""OneRoster 1.1 / 1.2 CSV binding: bulk and delta data sets, from a zip or a folder."""

from adapters.oneroster_csv.adapter import OneRosterCsvAdapter

__all__ = ["OneRosterCsvAdapter"]
