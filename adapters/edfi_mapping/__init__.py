"""The canonical <-> Ed-Fi mapping, shared by the Ed-Fi REST API and the edfi-xml adapter.

Import-light on purpose (no gateway imports): natural keys and ids (`identity`), the resources
and their shapes (`resources`), derived keys for rows from other standards (`derived_keys`),
the descriptor crosswalk (`descriptors`, data in specs/edfi/descriptors.json), school years
(`school_years`) and bodies -> canonical records (`to_canonical`). See README.md.
"""

from adapters.edfi_mapping.descriptors import Crosswalk, UnknownDescriptor, crosswalk
from adapters.edfi_mapping.identity import edfi_id, is_edfi_id, sourced_id_for
from adapters.edfi_mapping.resources import REFERENCES, RESOURCES, Prop, Resource
from adapters.edfi_mapping.school_years import json_school_year, parse_school_year, xml_school_year

__all__ = [
    "Crosswalk", "UnknownDescriptor", "crosswalk", "edfi_id", "is_edfi_id", "sourced_id_for",
    "REFERENCES", "RESOURCES", "Prop", "Resource", "json_school_year", "parse_school_year",
    "xml_school_year",
]
