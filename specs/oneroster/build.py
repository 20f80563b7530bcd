"""Write (or check) the OneRoster OpenAPI documents under specs/oneroster/.

    python specs/oneroster/build.py           # regenerate the JSON files
    python specs/oneroster/build.py --check   # exit 1 if a committed file differs

The committed JSON is what the gateway serves and what tests and the conformance
suite validate against; this script only keeps it consistent with the tables in
oneroster_openapi/, which are easier to review than thousands of lines of JSON.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from oneroster_openapi.document import DOCUMENTS, build_document  # noqa: E402


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def build_documents() -> dict[Path, str]:
    """Every document's path and the exact text it should have on disk."""
    return {HERE / spec.path: render(build_document(spec)) for spec in DOCUMENTS}


def stale_documents() -> list[Path]:
    return [
        path
        for path, text in build_documents().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale files")
    arguments = parser.parse_args(argv)
    if arguments.check:
        stale = stale_documents()
        for path in stale:
            print(f"{path.relative_to(HERE)}: differs from the generator's output")
        return 1 if stale else 0
    for path, text in build_documents().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(HERE)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
