"""Forms of the experiments pages (pages part)."""

from __future__ import annotations
