"""The test run keeps each module on one worker (tests/conftest.py).

Under ``-n auto --dist loadgroup`` the scheduler groups tests by a suffix xdist's worker
appends to each node id from its ``xdist_group`` mark. Twice that silently stopped:
the conftest added the marks after xdist read them, and pytest 9.2 ignores the suffix
(pytest-dev/pytest-xdist#1386). Nothing failed; each worker built its own copy of
every module's pipeline homes, and the suite took minutes longer. This test fails
instead."""

from __future__ import annotations

import pytest


def test_this_module_is_one_xdist_group(request: pytest.FixtureRequest) -> None:
    if not hasattr(request.config, "workerinput"):
        pytest.skip("not run under pytest-xdist (-n 0): nothing is scheduled")
    module = request.node.nodeid.split("::")[0]
    assert request.node.nodeid.endswith(f"@{module}"), (
        f"{request.node.nodeid!r} carries no group suffix: --dist loadgroup is "
        "scheduling every test alone")
