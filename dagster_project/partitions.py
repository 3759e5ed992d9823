"""Business-date partitions of the raw layer.

Dynamic rather than a DailyPartitionsDefinition: a business date is whatever date a
delivery carries (t1-extract-spec §1), history can be back-filled from years ago and
generated provinces start anywhere, so a fixed start date in config would be a guess
that shows thousands of empty partitions or rejects a real one. A partition key
(``YYYY-MM-DD``) is added when a complete delivery for that date is first seen; the
grain is still one calendar day.
"""

from __future__ import annotations

from datetime import date

from dagster import DynamicPartitionsDefinition

BIZ_DATE_PARTITIONS = DynamicPartitionsDefinition(name="biz_date")


def partition_key(d: date) -> str:
    return d.isoformat()


def partition_date(key: str) -> date:
    return date.fromisoformat(key)
