"""Pydantic schemas of the experiments API (parts add theirs)."""

from __future__ import annotations
