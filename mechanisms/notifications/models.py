"""notifications models (being built)."""
