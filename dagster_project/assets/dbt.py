"""dbt models as Dagster assets, from the manifest (STYLE.md §4).

Partitioned by business date like the raw layer. A run over a partition range
passes its first date as the dbt var ``from_date``: that date and every later one
are rebuilt (MTD/YTD/日均 of later dates read its daily values), which is also
what a re-delivered date needs. Sources ``t1.<table>`` map to the ingestion
assets ``raw/<table>`` so the lineage runs from delivery to indicator store.
"""

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from dagster_project.partitions import BIZ_DATE_PARTITIONS
from dagster_project.resources.dbt import dbt_project, prepare_manifest
from dagster_project.settings import get_settings


def build_args(partition_keys: Sequence[str], full_refresh: bool = False) -> list[str]:
    """``dbt build`` arguments for a run over these business-date partition keys."""
    args = ["build"]
    if partition_keys:
        args += ["--vars", json.dumps({"from_date": min(partition_keys)})]
    if full_refresh:
        args.append("--full-refresh")
    return args


class PuhuiDbtTranslator(DagsterDbtTranslator):
    """Sources are the ingestion assets; models are grouped by their dbt layer folder."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey(["raw", dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn") or []
        return f"dbt_{fqn[1]}" if len(fqn) > 2 else "dbt"


@dbt_assets(
    manifest=prepare_manifest(get_settings()),
    project=dbt_project(get_settings().dbt_target_dir),
    partitions_def=BIZ_DATE_PARTITIONS,
    dagster_dbt_translator=PuhuiDbtTranslator(),
)
def puhui_dbt_assets(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    keys = context.partition_keys if context.has_partition_key_range else [context.partition_key]
    yield from dbt.cli(build_args(keys), context=context).stream()
