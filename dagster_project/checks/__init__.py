"""Data-quality checks on the raw layer: one Great Expectations suite per raw table."""
