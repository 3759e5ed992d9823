"""Morning briefing and business early warnings (issue 16); docs/briefing.md.

The pipeline calls ``brief_after_night(settings, dates)`` once, after its publish
step; ``puhui briefing --date D [--dry-run]`` calls ``send_briefing``.
"""

from dagster_project.briefing.service import (
    BriefingReport,
    brief_after_night,
    evaluate_warnings,
    not_published_notice,
    send_briefing,
)

__all__ = [
    "BriefingReport",
    "brief_after_night",
    "evaluate_warnings",
    "not_published_notice",
    "send_briefing",
]
