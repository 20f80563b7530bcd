"""Vendor CSV exports mapped to canonical records by a YAML mapping (see README.md here)."""

from adapters.mapped_csv.adapter import MappedCsvAdapter

__all__ = ["MappedCsvAdapter"]
