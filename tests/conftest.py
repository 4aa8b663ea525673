import pytest
from django.utils import translation

pytest_plugins = [
    "tests.fixtures.accounts",
    "tests.fixtures.templates",
    "tests.fixtures.handovers",
    "tests.fixtures.transactional",
]


@pytest.fixture(autouse=True)
def _english_by_default():
    """A request served in Chinese leaves Chinese active in the thread (as
    LocaleMiddleware does); each test starts from the default language."""
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _revision_caches_start_empty():
    """Revisions never change, so their derived content is cached by id. Ids
    are never reused by PostgreSQL, but SQLite hands out a rolled-back test's
    ids again: each test starts with empty caches."""
    from django.core.cache import cache

    from cms.api import serializers
    from cms.services import handovers

    cache.clear()
    serializers._CONTENT.clear()
    handovers._PROTOTYPES.clear()


@pytest.fixture
def block_library_alone():
    """The block library as a package of its own: without Baton's connectors
    app naming which connector slugs exist (that needs the database)."""
    from checklist_blocks.registry import (
        register_connector_catalog,
        unregister_connector_catalog,
    )
    from connectors.apps import configured_slugs

    unregister_connector_catalog(configured_slugs)
    yield
    register_connector_catalog(configured_slugs)
