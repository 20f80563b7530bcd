"""Reading imsx_StatusInfo error bodies in the forms real OneRoster servers send."""

from __future__ import annotations

from typing import Any


def status_info(body: Any) -> dict[str, Any] | None:
    """The status object from a bare, `imsx_StatusInfo`-wrapped or 1.1 `statusInfoSet` body."""
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("imsx_StatusInfo"), dict):
        return body["imsx_StatusInfo"]
    infos = body.get("statusInfoSet")
    if isinstance(infos, list) and infos and isinstance(infos[0], dict):
        return infos[0]
    return body if "imsx_codeMajor" in body else None


def code_minor_values(info: dict[str, Any]) -> list[str]:
    minor = info.get("imsx_CodeMinor")
    fields = minor.get("imsx_codeMinorField") if isinstance(minor, dict) else None
    if isinstance(fields, dict):
        fields = [fields]
    if not isinstance(fields, list):
        return []
    return [
        str(f.get("imsx_codeMinorFieldValue"))
        for f in fields
        if isinstance(f, dict) and "imsx_codeMinorFieldValue" in f
    ]


# 1.1's vocabulary names the same failures differently (per 1EdTech: full success, unknown
# object, invalid data, unauthorized, ...); 1.2 writes fullsuccess, unknownobject, invaliddata,
# unauthorisedrequest. A case names the 1.2 term and accepts the 1.1 one.
_V1P1_TERMS = {"unauthorized": "unauthorisedrequest"}


def _normalise(value: str) -> str:
    """Compare 1.1 and 1.2 spellings alike (`unknown object` = `unknownobject`)."""
    compact = value.replace(" ", "").lower()
    return _V1P1_TERMS.get(compact, compact)


def failure_problems(body: Any, expected_minor: str) -> list[str]:
    """Why `body` is not an imsx failure carrying `expected_minor`; empty when it is."""
    info = status_info(body)
    if info is None:
        return ["the body is not an imsx_StatusInfo object"]
    problems = []
    if info.get("imsx_codeMajor") != "failure":
        problems.append(f"imsx_codeMajor is {info.get('imsx_codeMajor')!r}, not 'failure'")
    if info.get("imsx_severity") != "error":
        problems.append(f"imsx_severity is {info.get('imsx_severity')!r}, not 'error'")
    minors = code_minor_values(info)
    if _normalise(expected_minor) not in {_normalise(m) for m in minors}:
        problems.append(
            f"imsx_CodeMinor values {minors} do not include {expected_minor!r}"
        )
    return problems
