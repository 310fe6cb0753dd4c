"""away_teams contracts (being built)."""
