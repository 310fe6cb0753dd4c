"""Web: the shell. The base layout and navigation (every app's declared entries), sign-in and out, search, template
tags and static source, and the composite pages (home, team, service, person) drawn from the panels every app
declares. Owns no tables and no rules; each mechanism's own pages live in that app's `views.py`."""
