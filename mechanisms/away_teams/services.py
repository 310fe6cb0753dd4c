"""away_teams services (being built)."""
