"""Shared kernel: no tables. Actor, domain errors, pagination, clock, correlation id, base model, Markdown."""
