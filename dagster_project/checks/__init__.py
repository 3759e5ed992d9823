"""Asset checks: one Great Expectations suite per raw table, and the audit on the store."""
