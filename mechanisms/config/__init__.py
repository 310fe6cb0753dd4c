"""Project configuration: settings, URLs, the one NinjaAPI, the root `mech` command, WSGI/ASGI."""
