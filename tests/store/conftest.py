"""The Ed-Fi and OneRoster app fixtures, for store tests that drive writes through the APIs."""

from tests.edfi.conftest import edfi  # noqa: F401 - a fixture
from tests.oneroster.conftest import api  # noqa: F401 - a fixture
