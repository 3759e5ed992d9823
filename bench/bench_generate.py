"""Benchmark `puhui generate`: wall time per business date and peak memory.

Runs the real CLI in a child process under ``/usr/bin/time -v`` (peak RSS of the
whole run) for each requested scale, writes under /tmp and deletes it afterwards.
The first day also encodes the CUST_INFO byte cache; later days reuse it, so both
are reported. Record the figures in docs/benchmarks.md (generator section).

    uv run python bench/bench_generate.py --scales bank province --days 2
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def run(scale: str, days: int, start: str, root: Path) -> dict[str, object]:
    out = root / scale
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "dagster_project.cli", "generate",
           "--out", str(out), "--scale", scale, "--start", start, "--days", str(days)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{scale} failed:\n{proc.stdout}\n{proc.stderr}")
    built = re.search(r"in ([\d.]+) s", proc.stdout.splitlines()[0])
    day_s = [float(m) for m in re.findall(r"MB, ([\d.]+) s", proc.stdout)]
    mb = [float(m.replace(",", "")) for m in re.findall(r"rows, ([\d,.]+) MB", proc.stdout)]
    wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", proc.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    shutil.rmtree(out)
    return {"scale": scale, "build_s": float(built.group(1)) if built else None,
            "day_s": day_s, "day_mb": mb, "wall": wall.group(1) if wall else None,
            "peak_rss_gb": int(rss.group(1)) / 1e6 if rss else None,
            "bytes_on_disk_gb": size / 1e9, "log": proc.stdout}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", nargs="+", default=["bank", "province"])
    ap.add_argument("--days", type=int, default=2)
    ap.add_argument("--start", default="2026-03-30")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="puhui-bench-", dir="/tmp"))
    try:
        for scale in args.scales:
            r = run(scale, args.days, args.start, root)
            print(r.pop("log"), end="")
            print(" ".join(f"{k}={v}" for k, v in r.items()), flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
