"""OneRoster error bodies: `imsx_StatusInfo` (1.2) and `statusInfoSet` (1.1), with the HTTP
status and codeMinor each version uses for the same failure."""

from __future__ import annotations

from flask import Response, jsonify

from gateway.documents.oneroster_catalogue import V1P1

# our reason -> (HTTP status, 1.2 codeMinor, 1.1 codeMinor)
CODES = {
    "invalid_filter_field": (400, "invalid_filter_field", "invalid_filter_field"),
    "invalid_selection_field": (400, "invalid_selection_field", "invalid_selection_field"),
    "invalid_sort_field": (400, "invalid_selection_field", "invalid_sort_field"),
    "invalid_data": (400, "invaliddata", "invalid data"),
    "unauthorized": (401, "unauthorisedrequest", "unauthorized"),
    "forbidden": (403, "forbidden", "forbidden"),
    "unknown_object": (404, "unknownobject", "unknown object"),
    "unprocessable": (422, "invaliddata", "invalid data"),
    "too_large": (413, "invaliddata", "invalid data"),
    "server_busy": (429, "server_busy", "server_busy"),
    "store_busy": (503, "server_busy", "server_busy"),
    "internal": (500, "internal_server_error", "invalid data"),
}


class OneRosterError(Exception):
    def __init__(self, reason: str, description: str, headers: dict | None = None) -> None:
        super().__init__(description)
        self.reason = reason
        self.description = description
        self.headers = headers or {}


def error_response(
    version: str, reason: str, description: str, headers: dict | None = None
) -> Response:
    status, minor_v1p2, minor_v1p1 = CODES[reason]
    info = {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": description,
        "imsx_CodeMinor": {
            "imsx_codeMinorField": [
                {
                    "imsx_codeMinorFieldName": "TargetEndSystem",
                    "imsx_codeMinorFieldValue": minor_v1p1 if version == V1P1 else minor_v1p2,
                }
            ]
        },
    }
    body = {"statusInfoSet": [info]} if version == V1P1 else info
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response
