"""The ``lingtan`` command line: :mod:`lingtan.cli.main` is the group, one module per command
group beside it, and :mod:`lingtan.cli.common` what they share."""
