"""Dagster assets: raw layer (ingestion.py); dbt and publish are added by their owners."""
