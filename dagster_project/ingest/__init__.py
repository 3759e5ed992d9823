"""Ingestion of the union's T+1 extract: validate, transcode, mask PII, load one date atomically.

Plain functions; the Dagster assets (``dagster_project/assets/ingestion.py``) and
``puhui run`` (``dagster_project/pipeline.py``) call them.
"""
