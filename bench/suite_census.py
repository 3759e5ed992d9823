"""Where the test suite's CPU goes (issue 11): every Python process it starts, by kind.

    uv run python bench/suite_census.py                # the whole suite, as .ci/run runs it
    uv run python bench/suite_census.py -- tests/unit  # arguments after -- go to pytest

``/usr/bin/time -v`` on ``.ci/run`` gives one total; this splits it. For the length of
one ``pytest`` run, a ``.pth`` hook in both virtualenvs (the project's and Superset's)
makes every Python interpreter that starts with ``SUITE_CENSUS_DIR`` in its environment
write, when it exits, one JSON record: its command, CPU (user + system, its own, not its
children's), wall time, which heavy packages it imported, and the test that started it
(``PYTEST_CURRENT_TEST``, inherited from the xdist worker). Not a ``PUHUI_`` name: the
tests start ``puhui`` without those. The hook is removed afterwards, whatever happens;
left behind by a killed run, it does nothing without that variable.

Processes that die by a signal write nothing (the killed nights of the
write–audit–publish tests, a server the test kills), and neither does Chromium: the
gap between the sum and ``/usr/bin/time``'s total is theirs. Needs ``puhui setup``.

Results are printed and appended to ``bench/out/suite_census.jsonl``.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_night import usage  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out" / "suite_census.jsonl"
HOOK = "_puhui_census"

# Runs in every interpreter of both virtualenvs while the .pth file is there; does
# nothing unless SUITE_CENSUS_DIR is set. Standard library only (Superset's venv too).
_HOOK_SOURCE = '''
import atexit, json, os, resource, sys, time

_DIR = os.environ.get("SUITE_CENSUS_DIR")
_T0 = time.time()
_HEAVY = ("great_expectations", "dagster", "dbt.cli", "superset", "duckdb", "polars")


def _write():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    record = {
        "pid": os.getpid(), "argv": sys.argv[:8], "exe": sys.executable,
        "cpu_s": usage.ru_utime + usage.ru_stime, "wall_s": time.time() - _T0,
        "imported": [m for m in _HEAVY if m in sys.modules],
        "worker": os.environ.get("PYTEST_XDIST_WORKER"),
        "test": os.environ.get("PYTEST_CURRENT_TEST", ""),
    }
    try:
        with open(os.path.join(_DIR, f"{os.getpid()}.json"), "w") as f:
            json.dump(record, f)
    except OSError:
        pass


if _DIR:
    atexit.register(_write)
'''


def site_packages(python: Path) -> Path:
    code = "import sysconfig; print(sysconfig.get_path('purelib'))"
    out = subprocess.run([str(python), "-c", code], check=True, capture_output=True, text=True)
    return Path(out.stdout.strip())


def venvs() -> list[Path]:
    from dagster_project.settings import get_settings

    found = [Path(sys.prefix)]
    superset = get_settings().superset_venv_dir
    if (superset / "bin" / "python").exists():
        found.append(superset)
    else:
        print(f"no Superset virtualenv at {superset}: its processes are not counted "
              "(run `puhui setup`)", flush=True)
    return found


def kind(record: dict) -> str:
    """What a process was, from its command line and interpreter."""
    argv = " ".join(record["argv"])
    if "superset" in record["exe"]:
        return "Superset server (gunicorn)" if "gunicorn" in argv else "Superset CLI and scripts"
    if not record["test"]:  # started by pytest itself, not by a test
        return "pytest worker (in-process work)" if record["worker"] else "pytest controller"
    name = Path(record["argv"][0]).name if record["argv"] else ""
    if name == "dbt":
        return "dbt"
    if name == "puhui" or "dagster_project.cli" in argv:
        return "puhui CLI"
    if "dagster" in argv:
        return "Dagster webserver, daemon and code servers"
    return "other Python"


def module_of(record: dict) -> str:
    if record["test"]:
        return record["test"].split("::")[0]
    return f"(worker {record['worker']} itself)" if record["worker"] else "(pytest controller)"


def summarize(records: list[dict], total: dict[str, float]) -> dict[str, object]:
    by_kind: dict[str, list[float]] = collections.defaultdict(list)
    by_module: dict[str, float] = collections.Counter()
    for r in records:
        by_kind[kind(r)].append(r["cpu_s"])
        by_module[module_of(r)] += r["cpu_s"]
    counted = sum(r["cpu_s"] for r in records)
    return {
        "processes": len(records),
        "counted_cpu_s": round(counted, 1),
        "total": total,
        "not_counted_cpu_s": round(total["cpu_s"] - counted, 1),
        "by_kind": {k: {"processes": len(v), "cpu_s": round(sum(v), 1)}
                    for k, v in sorted(by_kind.items(), key=lambda kv: -sum(kv[1]))},
        "by_module": {k: round(v, 1) for k, v in sorted(by_module.items(), key=lambda kv: -kv[1])},
        "imported_great_expectations": sum("great_expectations" in r["imported"]
                                           for r in records),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--label", default="", help="a note kept with the result")
    ap.add_argument("pytest_args", nargs="*", help="after --: arguments for pytest")
    args = ap.parse_args()

    hooks: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="puhui-census-") as census:
        try:
            for venv in venvs():
                site = site_packages(venv / "bin" / "python")
                (site / f"{HOOK}.py").write_text(_HOOK_SOURCE)
                (site / f"{HOOK}.pth").write_text(f"import {HOOK}\n")
                hooks += [site / f"{HOOK}.py", site / f"{HOOK}.pth"]
            env = dict(os.environ, SUITE_CENSUS_DIR=census)
            cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "pytest", *args.pytest_args]
            print(f"[{time.strftime('%H:%M:%S')}] {' '.join(cmd[2:])}", flush=True)
            done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
        finally:
            for path in hooks:
                path.unlink(missing_ok=True)
        records = [json.loads(p.read_text()) for p in Path(census).glob("*.json")]

    print(done.stdout[-1500:])
    result = {"label": args.label, "at": time.strftime("%Y-%m-%d %H:%M:%S"),
              "pytest_args": args.pytest_args, "exit": done.returncode,
              **summarize(records, usage(done.stderr))}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("a") as f:
        f.write(json.dumps(result, ensure_ascii=False) + "\n")

    t = result["total"]
    print(f"pytest exited {done.returncode}: {t['wall_s']:.0f} s wall, {t['cpu_s']:.0f} CPU-s; "
          f"{result['processes']} Python processes counted, {result['counted_cpu_s']:.0f} CPU-s "
          f"(not counted: {result['not_counted_cpu_s']:.0f}, Chromium and killed processes)")
    print(f"\n{'CPU-s':>7} {'procs':>5}  kind")
    for name, v in result["by_kind"].items():
        print(f"{v['cpu_s']:7.0f} {v['processes']:5d}  {name}")
    print(f"\n{'CPU-s':>7}  test module that started them")
    for name, cpu in list(result["by_module"].items())[:20]:
        print(f"{cpu:7.0f}  {name}")
    if done.returncode != 0:
        raise SystemExit(done.returncode)


if __name__ == "__main__":
    main()
