import pytest

from .builders import build_world


@pytest.fixture
def world(db):
    """A small company of its own (no demo data): see ``builders.World``."""
    return build_world()
