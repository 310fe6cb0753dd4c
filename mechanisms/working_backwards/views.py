"""The app's pages. Thin: parse, call one service, render (kernel.pages)."""

from __future__ import annotations
