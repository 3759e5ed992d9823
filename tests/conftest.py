"""Shared fixtures. ``tiny_landing``: a landing folder with TINY_DAYS deliveries of the
`tiny` province from 2025-12-28 (across a year end), generated once per session.
Outside pytest call ``dagster_project.generator.generate_tiny(path)`` for the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from dagster_project.generator import generate_tiny


@pytest.fixture(scope="session")
def tiny_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_tiny(tmp_path_factory.mktemp("tiny_landing"))
