"""Chart builders: one function per Superset viz type we use.

Each returns a :class:`Chart` holding both the explore ``params`` (what the UI
renders) and the chart-data ``query`` the same chart asks for, so the tests and
the benchmark can ask Superset's chart-data API exactly what a dashboard asks.
Charts only group the serving tables' label columns and use the dictionary's saved
metrics (:mod:`.metrics`): no chart computes a formula, names a unit or picks a
number format of its own (dashboards.py passes them from the dictionary).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NO_TIME = "No filter"
NOT_NULL = None  # a fixed filter value: the column IS NOT NULL (e.g. rows under some 支行)


@dataclass(frozen=True)
class Chart:
    key: str  # stable name: file name and UUID seed
    title: str
    viz_type: str
    dataset: str  # dataset key
    params: dict[str, Any]
    query: dict[str, Any]
    description: str | None = None
    tags: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        # Superset adds this key on import; having it already keeps export == bundle.
        self.params.setdefault("annotation_layers", [])


def _filters(where: dict[str, Any] | None) -> tuple[list[dict], list[dict]]:
    """Fixed filters as (explore adhoc_filters, chart-data query filters)."""
    adhoc, query = [], []
    for col, val in (where or {}).items():
        if val is NOT_NULL:
            adhoc.append({"clause": "WHERE", "expressionType": "SIMPLE", "subject": col,
                          "operator": "IS NOT NULL", "comparator": None, "isExtra": False,
                          "filterOptionName": f"filter_{col}"})
            query.append({"col": col, "op": "IS NOT NULL"})
            continue
        vals = val if isinstance(val, list) else [val]
        adhoc.append({"clause": "WHERE", "expressionType": "SIMPLE", "subject": col,
                      "operator": "IN", "comparator": vals, "isExtra": False,
                      "filterOptionName": f"filter_{col}"})
        query.append({"col": col, "op": "IN", "val": vals})
    return adhoc, query


def _base_query(filters: list[dict], **kw: Any) -> dict[str, Any]:
    q = {"filters": filters, "extras": {"having": "", "where": ""}, "applied_time_extras": {},
         "columns": [], "metrics": [], "orderby": [], "annotation_layers": [],
         "row_limit": 1000, "series_limit": 0, "order_desc": True, "url_params": {},
         "custom_params": {}, "custom_form_data": {}, "time_range": NO_TIME}
    q.update(kw)
    return q


def big_number(key: str, title: str, dataset: str, metric: str, fmt: str,
               subheader: str = "", where: dict[str, Any] | None = None) -> Chart:
    adhoc, qf = _filters(where)
    params = {"viz_type": "big_number_total", "metric": metric, "adhoc_filters": adhoc,
              "subheader": subheader, "header_font_size": 0.3, "subheader_font_size": 0.125,
              "y_axis_format": fmt, "time_format": "smart_date",
              "force_timestamp_formatting": False,
              "time_range": NO_TIME}
    return Chart(key, title, "big_number_total", dataset, params,
                 _base_query(qf, metrics=[metric], row_limit=1))


def trend(key: str, title: str, dataset: str, metrics: list[str], fmt: str,
          where: dict[str, Any] | None = None, kind: str = "line") -> Chart:
    """Daily trend over biz_date (the date filter is scoped away from these charts)."""
    adhoc, qf = _filters(where)
    viz = "echarts_timeseries_line" if kind == "line" else "echarts_timeseries_bar"
    params = {"viz_type": viz, "x_axis": "biz_date", "time_grain_sqla": "P1D",
              "metrics": metrics, "groupby": [], "adhoc_filters": adhoc, "row_limit": 10000,
              "order_desc": True, "truncate_metric": True, "show_legend": True,
              "legendType": "plain", "legendOrientation": "top", "x_axis_time_format": "%m-%d",
              "y_axis_format": fmt, "rich_tooltip": True, "markerEnabled": True,
              "markerSize": 4, "zoomable": False, "time_range": NO_TIME,
              "comparison_type": "values", "annotation_layers": []}
    axis = {"columnType": "BASE_AXIS", "sqlExpression": "biz_date", "label": "biz_date",
            "expressionType": "SQL", "timeGrain": "P1D"}
    q = _base_query(qf, columns=[axis], metrics=metrics, orderby=[[metrics[0], False]],
                    row_limit=10000)
    return Chart(key, title, viz, dataset, params, q)


def table(key: str, title: str, dataset: str, groupby: list[str], metrics: list[str],
          order_by: str | None = None, where: dict[str, Any] | None = None,
          row_limit: int = 100, ascending: bool = False, cell_bars: bool = True) -> Chart:
    """A grouped table of saved metrics (ranking tables, manager detail); with no
    metrics, the distinct rows of ``groupby`` (a customer's profile in the lookup)."""
    adhoc, qf = _filters(where)
    order = order_by or (metrics[0] if metrics else None)
    params = {"viz_type": "table", "query_mode": "aggregate", "groupby": groupby,
              "metrics": metrics, "all_columns": [], "percent_metrics": [],
              "adhoc_filters": adhoc, "timeseries_limit_metric": order,
              "order_desc": not ascending, "row_limit": row_limit, "server_page_length": 10,
              "include_search": False, "show_cell_bars": cell_bars, "color_pn": True,
              "table_timestamp_format": "%Y-%m-%d", "allow_rearrange_columns": False,
              "conditional_formatting": [], "time_range": NO_TIME}
    q = _base_query(qf, columns=groupby, metrics=metrics,
                    orderby=[[order, ascending]] if order else [], row_limit=row_limit)
    return Chart(key, title, "table", dataset, params, q)


def pie(key: str, title: str, dataset: str, groupby: str, metric: str,
        where: dict[str, Any] | None = None, fmt: str = ",.0f") -> Chart:
    adhoc, qf = _filters(where)
    params = {"viz_type": "pie", "groupby": [groupby], "metric": metric, "adhoc_filters": adhoc,
              "row_limit": 100, "sort_by_metric": True, "color_scheme": "supersetColors",
              # Labels (name and share) outside on lines around a small ring, so none
              # is cut at the chart edge; they name every slice, so no legend to page.
              "show_labels": True, "show_legend": False, "legendType": "plain",
              "legendOrientation": "bottom", "label_type": "key_percent", "number_format": fmt,
              "donut": True, "innerRadius": 18, "outerRadius": 30, "labels_outside": True,
              "label_line": True, "show_labels_threshold": 0,
              "time_range": NO_TIME}
    q = _base_query(qf, columns=[groupby], metrics=[metric], orderby=[[metric, False]],
                    row_limit=100)
    return Chart(key, title, "pie", dataset, params, q)


def bar(key: str, title: str, dataset: str, x: str, metrics: list[str], fmt: str,
        where: dict[str, Any] | None = None, stack: bool = False, row_limit: int = 50) -> Chart:
    """Bars per category (org, product, class), ordered by the first metric."""
    adhoc, qf = _filters(where)
    params = {"viz_type": "echarts_timeseries_bar", "x_axis": x, "metrics": metrics,
              "groupby": [], "adhoc_filters": adhoc, "row_limit": row_limit,
              "x_axis_sort": metrics[0], "x_axis_sort_asc": False, "order_desc": True,
              "stack": "Stack" if stack else None, "show_legend": True, "legendType": "plain",
              "legendOrientation": "top", "y_axis_format": fmt, "rich_tooltip": True,
              "orientation": "vertical", "time_range": NO_TIME, "truncate_metric": True,
              "show_value": False, "xAxisLabelRotation": 45}
    axis = {"columnType": "BASE_AXIS", "sqlExpression": x, "label": x, "expressionType": "SQL"}
    q = _base_query(qf, columns=[axis], metrics=metrics, orderby=[[metrics[0], False]],
                    row_limit=row_limit)
    return Chart(key, title, "echarts_timeseries_bar", dataset, params, q)


def scatter_map(key: str, title: str, dataset: str, lon: str, lat: str,
                where: dict[str, Any] | None = None, color: tuple[int, int, int] = (205, 0, 3),
                radius: int = 1500) -> Chart:
    """deck.gl points on a plain background: no tile server is ever asked (no internet)."""
    adhoc, qf = _filters(where)
    params = {"viz_type": "deck_scatter", "spatial": {"type": "latlong", "lonCol": lon,
              "latCol": lat}, "adhoc_filters": adhoc, "row_limit": 5000,
              "point_radius_fixed": {"type": "fix", "value": radius}, "point_unit": "radius_m",
              "min_radius": 2, "max_radius": 30, "multiplier": 1,
              "color_picker": {"r": color[0], "g": color[1], "b": color[2], "a": 0.8},
              "mapbox_style": "", "autozoom": True, "time_range": NO_TIME,
              "viewport": {"longitude": 116.4, "latitude": 39.9, "zoom": 8,
                           "bearing": 0, "pitch": 0}}
    q = _base_query(qf + [{"col": lon, "op": "IS NOT NULL"}, {"col": lat, "op": "IS NOT NULL"}],
                    columns=[lon, lat], row_limit=5000)
    return Chart(key, title, "deck_scatter", dataset, params, q)


def markdown_text(text: str) -> dict[str, Any]:
    return {"type": "MARKDOWN", "code": text}


def pivot(key: str, title: str, dataset: str, rows: list[str], cols: list[str], metric: str,
          fmt: str = ",.0f", where: dict[str, Any] | None = None, totals: bool = True) -> Chart:
    """A cross table (e.g. class migration: 上日分类 × 当日分类). ``totals`` off where
    a row's cells do not add up (a tag × tag co-occurrence counts a customer per pair)."""
    adhoc, qf = _filters(where)
    params = {"viz_type": "pivot_table_v2", "groupbyRows": rows, "groupbyColumns": cols,
              "metrics": [metric], "metricsLayout": "COLUMNS", "adhoc_filters": adhoc,
              "row_limit": 10000, "aggregateFunction": "Sum", "valueFormat": fmt,
              "rowTotals": totals, "colTotals": totals, "transposePivot": False,
              "combineMetric": False, "order_desc": True, "rowOrder": "key_a_to_z",
              "colOrder": "key_a_to_z", "time_range": NO_TIME,
              # Not read by the pivot: a dashboard sends each dataset's column labels only
              # for the columns its charts' "groupby"/"columns" name (data_for_slices), so
              # without this a pivot alone on its dataset shows tag_a_name, not 标签A.
              "columns": rows + cols}
    q = _base_query(qf, columns=rows + cols, metrics=[metric], orderby=[[metric, False]],
                    row_limit=10000)
    return Chart(key, title, "pivot_table_v2", dataset, params, q)
