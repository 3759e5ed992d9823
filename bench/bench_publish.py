"""What a night's publish costs: the serving copy rewritten from one date on.

    uv run python bench/bench_publish.py --home <home> --date 2025-10-13 --rounds 3

``--home`` is a PUHUI_HOME built and published through ``--date``. Each round runs
``publish(settings, from_date=--date)`` in its own process under ``/usr/bin/time -v``:
what the night's serving asset does after building ``--date`` (publish.py: a copy of
the served file, then the dates from ``--date`` on replaced). The published rows do
not change, so rounds can repeat. Reported: wall, CPU and peak RSS per round and
their medians; appended to ``bench/out/bench_publish.jsonl``. To compare two versions
of the code, run each from its own checkout on its own home, alternating.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_night import usage  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out" / "bench_publish.jsonl"

_PUBLISH = """
import json, sys
from datetime import date
from dagster_project.publish import publish
from dagster_project.settings import get_settings
r = publish(get_settings(), from_date=date.fromisoformat(sys.argv[1]))
print("RESULT " + json.dumps({"seconds": r.seconds, "replaced": len(r.incremental),
                              "tables": len(r.tables)}))
"""


def one(home: Path, day: date) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUHUI_")}
    env["PUHUI_HOME"] = str(home)
    done = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-c", _PUBLISH,
                           day.isoformat()], cwd=REPO, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"publish failed ({done.returncode}):\n{done.stderr[-3000:]}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    return {
        **usage(done.stderr),
        **json.loads(line[len("RESULT "):]),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--home", type=Path, required=True, help="published through --date")
    ap.add_argument("--date", type=date.fromisoformat, required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    runs = []
    for i in range(args.rounds):
        r = one(args.home, args.date)
        runs.append(r)
        print(f"[{time.strftime('%H:%M:%S')}] round {i + 1}: wall {r['wall_s']:.1f} s, "
              f"CPU {r['cpu_s']:.1f} s, peak {r['peak_rss_mib']:.0f} MiB, "
              f"{r['replaced']} of {r['tables']} tables by date", flush=True)
    out = {"home": str(args.home), "date": args.date.isoformat(), "label": args.label,
           "rounds": args.rounds, "at": time.strftime("%Y-%m-%d %H:%M:%S"),
           "median": {k: statistics.median(r[k] for r in runs)
                      for k in ("wall_s", "cpu_s", "peak_rss_mib")}}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("a", encoding="utf-8") as f:
        f.write(json.dumps(out, ensure_ascii=False) + "\n")
    print(json.dumps(out, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
