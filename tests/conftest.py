import pytest
from django.utils import translation

pytest_plugins = [
    "tests.fixtures.accounts",
    "tests.fixtures.templates",
    "tests.fixtures.handovers",
]


@pytest.fixture(autouse=True)
def _english_by_default():
    """A request served in Chinese leaves Chinese active in the thread (as
    LocaleMiddleware does); each test starts from the default language."""
    translation.activate("en")
    yield
    translation.deactivate()
