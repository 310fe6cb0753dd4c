"""Workflows: orchestration across apps (import and export the whole org and catalog, generate the demo
organization). Calls other apps' services only; owns no tables."""
