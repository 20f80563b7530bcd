"""The `edfi-xml` adapter: Ed-Fi XML interchange files -> canonical records (see adapter.py)."""

from adapters.edfi_xml.adapter import EdfiXmlAdapter

__all__ = ["EdfiXmlAdapter"]
