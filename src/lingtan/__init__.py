"""lingtan (零碳): the open platform for building and running zero-carbon factories."""

__version__ = "0.1.0"
