"""notifications services (being built)."""
