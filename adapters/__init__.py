"""Pluggable sources: each adapter turns one kind of district export into canonical records."""
