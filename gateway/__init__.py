"""School Data Gateway: a district-hosted, privacy-first K-12 interoperability gateway."""

__version__ = "0.1.0"
