"""An open conformance suite for OneRoster, Ed-Fi and OAuth 2 servers.

It speaks only HTTP to the server under test and imports nothing of the gateway, so it can
judge any implementation. Cases are data under `cases/`; see README.md.
"""
