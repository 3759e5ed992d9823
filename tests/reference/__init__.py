"""An independent reference implementation of indicators.md.

It reads delivery folders directly (never the warehouse) and shares no code with
the dbt models or the ingestion: the published store is checked against it.
"""
