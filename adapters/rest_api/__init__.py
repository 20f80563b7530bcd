"""Vendor REST APIs read through declarative connector files (see README.md here)."""

from adapters.rest_api.adapter import RestApiAdapter

__all__ = ["RestApiAdapter"]
