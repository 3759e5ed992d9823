"""`puhui setup` writes the environments' bytecode (install.compile_bytecode), also
where PYTHONDONTWRITEBYTECODE is set: Python then reads .pyc files but never writes
them, and every process would compile Dagster, dbt and Great Expectations again."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dagster_project.superset.install import compile_bytecode


def test_bytecode_is_written_even_where_the_environment_forbids_writing_it(
        tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "good.py").write_text("ANSWER = 42\n", encoding="utf-8")
    (tmp_path / "pkg" / "broken.py").write_text("print 'python 2'\n", encoding="utf-8")
    compile_bytecode(Path(sys.executable), tmp_path / "pkg")
    cache = tmp_path / "pkg" / "__pycache__"
    tag = sys.implementation.cache_tag
    assert (cache / f"good.{tag}.pyc").exists()
    # a file that does not compile is skipped, and does not stop the others
    assert not (cache / f"broken.{tag}.pyc").exists()
    assert os.environ["PYTHONDONTWRITEBYTECODE"] == "1"
