"""Metrics (MECHANISMS.md §8): the metric registry (input and output metrics, their versioned definitions, lineage
and plans), their daily or weekly data (CSV, API push, scheduled SQL pulls against DuckDB or PostgreSQL, with a
completeness check), the Weekly Business Review decks (6-12 charts and the box, computed by the pure deck engine in
`rules.py`, with owners' commentary, an exceptions-first view and weekly snapshots) and each team's goals for the
year, approved by leadership and measured from the data. wbr-app's YAML and CSV are read by interop/wbr.py, which
feeds the same engine offline (`mech wbr build`). Public: `contracts.py`, `services.py`."""
