"""Move a rejected delivery aside with a report (docs/architecture.md: quarantine/).

The landing folder is emptied of the date so the next run does not retry the same
bad files; the union's corrected re-delivery lands in a fresh folder. The report
names file, line, column and rule, never a PII value.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from dagster_project.ingest.errors import DeliveryRejected

REPORT = "REJECTED.txt"


def quarantine(folder: Path, quarantine_dir: Path, rejected: DeliveryRejected) -> Path:
    """Move ``folder`` to ``quarantine_dir/<YYYYMMDD>-<stamp>/`` and write the report."""
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
    target = quarantine_dir / f"{folder.name}-{stamp}"
    shutil.move(str(folder), str(target))
    lines = [rejected.summary(), "", "All violations:"]
    lines += [f"  {v}" for v in rejected.violations]
    (target / REPORT).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target
