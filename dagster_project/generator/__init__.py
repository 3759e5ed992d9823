"""The synthetic province (`puhui generate`): T+1 deliveries that look and behave like
a real provincial rural credit union's, day after day. See docs/generator.md."""

from dagster_project.generator.api import (
    TINY_DAYS,
    TINY_START,
    DayReport,
    generate,
    generate_tiny,
)
from dagster_project.generator.corrupt import CORRUPT_KINDS
from dagster_project.generator.scales import SCALES

__all__ = ["CORRUPT_KINDS", "SCALES", "TINY_DAYS", "TINY_START", "DayReport", "generate",
           "generate_tiny"]
