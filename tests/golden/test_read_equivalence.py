"""Every OneRoster read answers exactly what the request-time serializer answered, for apps of
every scoping over two districts (see capture.py for how the golden files were made)."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from gateway.app import create_app
from tests.golden.capture import DISTRICTS, District, capture, load

HERE = Path(__file__).parent


def _golden(district: District) -> Path:
    return HERE / f"oneroster_{district.name}.json.gz"


@pytest.mark.parametrize("district", DISTRICTS, ids=[d.name for d in DISTRICTS])
def test_every_oneroster_read_answers_as_the_golden_file_says(
    district: District, engine, database_url: str, tmp_path: Path,
) -> None:
    load(engine, district, tmp_path)
    app = create_app({"database_url": database_url, "var_dir": str(tmp_path)})
    got = capture(app.test_client(), engine, district)
    golden = _golden(district)
    if os.environ.get("GOLDEN_REGENERATE") and database_url.startswith("sqlite"):
        golden.write_bytes(gzip.compress(json.dumps(got, indent=1, sort_keys=True).encode(),
                                         mtime=0))
    expected = json.loads(gzip.decompress(golden.read_bytes()))
    assert sorted(got) == sorted(expected)
    different = [key for key in expected if got[key] != expected[key]]
    assert not different, (len(different), different[:5],
                           [(got[k], expected[k]) for k in different[:1]])
