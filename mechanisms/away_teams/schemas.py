"""away_teams schemas (being built)."""
