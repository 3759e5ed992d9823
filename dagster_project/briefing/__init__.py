"""Morning briefing and business early warnings (issue 16); docs/briefing.md.

The night briefs where a date's fate is decided: ``brief_after_night`` after the publish
(assets/publish.py), ``notice_not_published`` where a date will not publish (a rejected
delivery, a failed build or publish, a blocked audit: the 数据未更新 notice).
``puhui briefing --date D [--dry-run]`` calls ``send_briefing``.

The opportunity push (商机推送, issue 15) goes out from the same place after a publish,
``push_after_publish`` (opportunity_push.py), through the same channels;
``puhui opportunities send --date D [--dry-run]`` calls ``push_opportunities``.
"""

from dagster_project.briefing.opportunity_push import (
    PushReport,
    push_after_publish,
    push_opportunities,
)
from dagster_project.briefing.service import (
    BriefingReport,
    brief_after_night,
    evaluate_warnings,
    not_published_notice,
    notice_not_published,
    send_briefing,
)

__all__ = [
    "BriefingReport",
    "PushReport",
    "brief_after_night",
    "evaluate_warnings",
    "not_published_notice",
    "notice_not_published",
    "push_after_publish",
    "push_opportunities",
    "send_briefing",
]
