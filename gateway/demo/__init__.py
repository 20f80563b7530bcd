"""A deterministic demo district (schools, staff, students, guardians, classes), written in
the formats districts actually exchange, so the gateway can be tried without real data.

Layout: `district` plans the per-school structure, `families` streams the people, and one
writer module per output format (`oneroster_csv`, `vendor_csv`) is registered in `formats`.
"""

from gateway.demo.formats import FORMATS
from gateway.demo.generate import write_demo
from gateway.demo.summary import DemoSummary

__all__ = ["FORMATS", "DemoSummary", "write_demo"]
