"""Error payload schemas (imsx_StatusInfo) and the HTTP error responses of each version.

1.2 sends one bare imsx_StatusInfo object on failure. 1.1 wraps status objects in a
``statusInfoSet`` list, which may also ride along a successful 200 to carry warnings
(an unknown sort or selection field), so the 1.1 envelopes allow it.
"""

from typing import Any

from .vocabularies import CODE_MAJOR, SEVERITY

Schema = dict[str, Any]

ERROR_STATUSES = {
    "400": ("BadRequest", "Bad filter, sort, fields or other query value."),
    "401": ("Unauthorized", "Missing, expired or invalid credentials."),
    "403": ("Forbidden", "Authenticated, but not allowed this operation or object."),
    "404": ("NotFound", "The object, or the parent named in the path, is unknown."),
    "422": ("UnprocessableEntity", "A well-formed body whose content is wrong."),
    "429": ("TooManyRequests", "Rate limit reached; retry later."),
    "500": ("InternalServerError", "The server failed and no better code applies."),
}


def status_info_schemas(version: str, code_minor: tuple[str, ...]) -> dict[str, Schema]:
    field: Schema = {
        "description": "One codeMinor report: who reports it and the code.",
        "type": "object",
        "properties": {
            "imsx_codeMinorFieldName": {"type": "string", "default": "TargetEndSystem"},
            "imsx_codeMinorFieldValue": {"type": "string", "enum": list(code_minor)},
        },
        "required": ["imsx_codeMinorFieldName", "imsx_codeMinorFieldValue"],
        "additionalProperties": False,
    }
    minor: Schema = {
        "description": "The codeMinor reports of one status.",
        "type": "object",
        "properties": {
            "imsx_codeMinorField": {
                "type": "array",
                "minItems": 1,
                "items": {"$ref": "#/components/schemas/imsx_CodeMinorField"},
            }
        },
        "required": ["imsx_codeMinorField"],
        "additionalProperties": False,
    }
    info: Schema = {
        "description": "Outcome of a request: major code, severity, text and minor codes.",
        "type": "object",
        "properties": {
            "imsx_codeMajor": {"type": "string", "enum": list(CODE_MAJOR)},
            "imsx_severity": {"type": "string", "enum": list(SEVERITY)},
            "imsx_description": {"type": "string"},
            "imsx_CodeMinor": {"$ref": "#/components/schemas/imsx_CodeMinor"},
        },
        "required": ["imsx_codeMajor", "imsx_severity"],
        "additionalProperties": False,
    }
    schemas = {"imsx_CodeMinorField": field, "imsx_CodeMinor": minor, "imsx_StatusInfo": info}
    if version == "11":
        info["properties"]["imsx_messageRefIdentifier"] = {"type": "string"}
        info["properties"]["imsx_operationRefIdentifier"] = {"type": "string"}
        schemas["imsx_StatusInfoList"] = {
            "type": "array",
            "minItems": 1,
            "items": {"$ref": "#/components/schemas/imsx_StatusInfo"},
        }
        schemas["StatusInfoSet"] = {
            "description": "The 1.1 error body: a list of status objects.",
            "type": "object",
            "properties": {"statusInfoSet": {"$ref": "#/components/schemas/imsx_StatusInfoList"}},
            "required": ["statusInfoSet"],
            "additionalProperties": False,
        }
    return schemas


def error_body_schema(version: str) -> str:
    return "StatusInfoSet" if version == "11" else "imsx_StatusInfo"


def error_responses(version: str) -> dict[str, Schema]:
    body = {"$ref": f"#/components/schemas/{error_body_schema(version)}"}
    return {
        name: {"description": text, "content": {"application/json": {"schema": body}}}
        for name, text in ERROR_STATUSES.values()
    }


def error_response_refs() -> dict[str, Schema]:
    refs = {
        status: {"$ref": f"#/components/responses/{name}"}
        for status, (name, _) in ERROR_STATUSES.items()
    }
    refs["default"] = {"$ref": "#/components/responses/InternalServerError"}
    return refs
