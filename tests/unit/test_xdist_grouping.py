"""The test run keeps each module on one worker (tests/conftest.py).

Under ``-n auto --dist loadgroup`` the scheduler groups tests by a suffix xdist's worker
appends to each node id from its ``xdist_group`` mark. Twice that silently stopped:
the conftest added the marks after xdist read them, and pytest 9.2 ignores the suffix
(pytest-dev/pytest-xdist#1386). Nothing failed; each worker built its own copy of
every module's pipeline homes, and the suite took minutes longer. This test fails
instead."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_this_module_is_one_xdist_group(request: pytest.FixtureRequest) -> None:
    if not hasattr(request.config, "workerinput"):
        pytest.skip("not run under pytest-xdist (-n 0): nothing is scheduled")
    module = request.node.nodeid.split("::")[0]
    assert request.node.nodeid.endswith(f"@{module}"), (
        f"{request.node.nodeid!r} carries no group suffix: --dist loadgroup is "
        "scheduling every test alone")


def test_every_long_first_group_names_a_module_of_the_suite() -> None:
    """A renamed module would silently drop out of the handing-out order."""
    from tests.conftest import LONG_FIRST, SUPERSET_GROUP

    root = Path(__file__).resolve().parents[2]
    missing = [g for g in LONG_FIRST if g != SUPERSET_GROUP and not (root / g).is_file()]
    assert missing == []
