"""The web application of lingtan: REST API (``/api/v1``) and pages, served by ``lingtan serve``.

See ``docs/web.md``. :func:`lingtan.web.app.create_app` builds the application for a database.
"""
