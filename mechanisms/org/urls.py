"""Pages of the org app are composed in `mechanisms.web` (the top layer), because each page reads several apps
(a team page shows the services it owns); see `mechanisms/web/urls.py`. Templates stay in `templates/org/`."""

urlpatterns: list = []
