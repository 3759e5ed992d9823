"""Load order (t1-extract-spec §1, indicators.md "no gaps once loading has begun")."""

from __future__ import annotations

from datetime import date

from dagster_project.ingest.plan import plan


def d(day: int) -> date:
    return date(2025, 1, day)


def actions(delivered: dict[date, str], loaded: dict[date, str]) -> list[tuple[int, str]]:
    return [(x.biz_date.day, x.action) for x in plan(delivered, loaded)]


def test_first_delivery_starts_the_chain_then_dates_load_in_order() -> None:
    assert actions({d(3): "a", d(4): "b", d(5): "c"}, {}) == [
        (3, "load"), (4, "load"), (5, "load")]


def test_out_of_order_arrival_waits_for_its_predecessor() -> None:
    result = plan({d(4): "x"}, {d(1): "a", d(2): "b"})
    assert [(x.biz_date, x.action) for x in result] == [(d(4), "wait")]
    assert "2025-01-03" in result[0].reason


def test_waiting_date_loads_once_the_gap_is_filled() -> None:
    assert actions({d(3): "c", d(4): "x"}, {d(1): "a", d(2): "b"}) == [
        (3, "load"), (4, "load")]


def test_identical_redelivery_changes_nothing_and_changed_one_reloads() -> None:
    assert actions({d(1): "a", d(2): "B"}, {d(1): "a", d(2): "b"}) == [
        (1, "unchanged"), (2, "reload")]


def test_backfill_before_the_first_date_only_without_a_gap() -> None:
    assert actions({d(1): "x"}, {d(3): "c"}) == [(1, "wait")]
    assert actions({d(1): "x", d(2): "y"}, {d(3): "c"}) == [(1, "load"), (2, "load")]


def test_through_limits_the_dates() -> None:
    assert [x.biz_date for x in plan({d(1): "a", d(2): "b"}, {}, through=d(1))] == [d(1)]
