"""notifications schemas (being built)."""
