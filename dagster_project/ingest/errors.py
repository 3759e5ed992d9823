"""What a rejected delivery looks like: violations naming file, line, column and rule.

Messages never carry a PII value (t1-extract-spec §4: PII must not reach logs); they
name the line and column instead. Non-PII values are shown only when short.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_SHOWN = 50  # violations listed in a report; the count of the rest is given


@dataclass(frozen=True)
class Violation:
    file: str  # data or control file name, e.g. DEP_ACCT_20250131.dat
    rule: str  # short rule id, e.g. "field-count", "md5", "code-list"
    message: str  # human sentence, never a PII value
    line: int | None = None  # 1-based line of the first offending record
    column: str | None = None
    count: int = 1  # how many records break the rule (first line shown)

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f" line {self.line}"
        if self.column:
            where += f" column {self.column}"
        more = f" ({self.count} lines in all)" if self.count > 1 else ""
        return f"{where}: [{self.rule}] {self.message}{more}"


class DeliveryRejected(Exception):
    """A delivery breaks the contract; nothing of it was loaded."""

    def __init__(self, biz_date: str, violations: list[Violation]) -> None:
        self.biz_date = biz_date
        self.violations = violations
        super().__init__(self.summary())

    def summary(self) -> str:
        head = f"delivery {self.biz_date} rejected: {len(self.violations)} contract violation(s)"
        lines = [str(v) for v in self.violations[:MAX_SHOWN]]
        if len(self.violations) > MAX_SHOWN:
            lines.append(f"... and {len(self.violations) - MAX_SHOWN} more")
        return "\n".join([head, *("  " + s for s in lines)])
