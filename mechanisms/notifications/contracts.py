"""notifications contracts (being built)."""
