"""Fixtures shared by the hostile tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.hostile.server import HostileServer


@pytest.fixture
def srv() -> Iterator[HostileServer]:
    """A scriptable hostile server on 127.0.0.1 (routes set by each test)."""
    with HostileServer() as server:
        yield server
