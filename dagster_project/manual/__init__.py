"""Manual data (补录) the bank hands in outside the T+1 extract (customer-ops.md §6)."""
