"""Experiments (MECHANISMS.md §9, WebLab): a registry of pre-registered experiments (hypothesis, owning team,
service, variations and weights, a primary input metric from the metrics registry, guardrails, the minimum
detectable effect, the planned sample size from a power calculation, the stop rule), deterministic assignment
(`assignment.py`, pure: hash(experiment key, unit id) into weighted buckets), exposures recorded in bulk, the
per-variation sufficient statistics computed by one SQL query per metric in the engine that holds the data
(`stats_sql.py`, `warehouse.py`), statistics equal to GrowthBook's (`rules.py`, pure; also offline in
`mech experiments analyze`), immutable analysis snapshots, and the owner's launch decision with an independent
bar-raiser review when it is required. Public: `contracts.py`, `services.py`."""
