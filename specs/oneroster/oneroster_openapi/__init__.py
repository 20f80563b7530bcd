"""Generator for the OneRoster OpenAPI documents kept under specs/oneroster/.

The committed JSON files are the source of truth; this package exists so that the
tables they are made from stay short enough to review against the standard.
"""
