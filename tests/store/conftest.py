"""The Ed-Fi and OneRoster app fixtures, for store tests that drive writes through the APIs."""

from tests.edfi.conftest import district_snapshots, edfi  # noqa: F401 - fixtures
from tests.oneroster.conftest import api  # noqa: F401 - a fixture
