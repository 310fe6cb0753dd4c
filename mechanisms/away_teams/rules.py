"""Pure rules of away-team requests (being built)."""
