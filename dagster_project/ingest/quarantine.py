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
    # The quarantine keeps clear-text PII (the rejected files as delivered): owner only.
    quarantine_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    quarantine_dir.chmod(0o700)
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
    target = quarantine_dir / f"{folder.name}-{stamp}"
    if folder.is_symlink():
        # A linked date folder (refused, delivery.placement_violations): move the link
        # itself into a real folder, so the report is never written where it points.
        target.mkdir(mode=0o700)
        shutil.move(str(folder), str(target / folder.name))
    else:
        shutil.move(str(folder), str(target))
        target.chmod(0o700)
    lines = [rejected.summary(), "", "All violations:"]
    lines += [f"  {v}" for v in rejected.violations]
    (target / REPORT).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target
