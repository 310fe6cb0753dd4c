"""Web: the base layout, navigation, sign-in, home and search pages, template tags and static source.
Owns no tables; pages of each mechanism live in that app's `views.py` and `templates/<app>/`."""
