"""away_teams models (being built)."""
