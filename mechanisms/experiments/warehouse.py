"""Private: the experiments' tables in a data connection (kernel/warehouse.py): exposures synced from the
product's database, metric events, and running the statistics query (SQL part)."""

from __future__ import annotations
