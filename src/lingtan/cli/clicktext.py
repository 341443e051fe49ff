"""Click's own messages, its errors and prompts, in the command line's language.

Click composes a message from an English text it looks up through :mod:`gettext` first
(``_("Missing option")``, ``_("No such command {name!r}.")``), then fills its fields. Each of
click's modules binds those lookups as its own names ``_`` and ``ngettext``; :func:`install`
binds them to :func:`lookup` and :func:`lookup_plural`, which give the catalogue's Chinese
(context ``click``) of a text of :data:`MESSAGES` when the command line's language is
Chinese (:func:`lingtan.cli.lazy.language`), and otherwise what :mod:`gettext` gives, as
before. English is unchanged; a text of click's outside :data:`MESSAGES` (the help's
headings, which :mod:`lingtan.cli.helptext` translates) is left to :mod:`gettext`.

``tests/test_cli_errors.py`` checks that every text of :data:`MESSAGES` is still one of the
installed click's, so an upgrade of click that rewords one is noticed. A path's kind ("file",
"directory") is named when its command is defined, whatever the language; the Chinese of a
path's refusal leaves it out ("'a.csv' 不存在。").
"""

from __future__ import annotations

import gettext
import importlib

from lingtan.cli.lazy import language

__all__ = ["CONTEXT", "MESSAGES", "PLURALS", "install", "lookup", "lookup_plural"]

#: The catalogue's context of click's texts.
CONTEXT = "click"
#: Click's modules that look texts up.
MODULES = (
    "click.core",
    "click.decorators",
    "click.exceptions",
    "click.parser",
    "click.termui",
    "click.types",
)
#: Click's texts of errors and prompts that are translated.
MESSAGES = frozenset(
    {
        "Aborted!",
        "Missing command.",
        "Value must be an iterable.",
        "Error: {message}",
        "Try '{command} {option}' for help.",
        "Invalid value: {message}",
        "Invalid value for {param_hint}: {message}",
        "Missing argument",
        "Missing option",
        "Missing parameter",
        "Missing {param_type}",
        "Missing parameter: {param_name}",
        "No such option {name!r}.",
        "No such command {name!r}.",
        "unknown error",
        "Could not open file {filename!r}: {message}",
        "Argument {name!r} takes {nargs} values.",
        "Option {name!r} does not take a value.",
        "Choose from:\n\t{choices}",
        "{value!r} is not a valid {number_type}.",
        "{value} is not in the range {range}.",
        "{value!r} is not a valid boolean. Recognized values: {states}",
        "{value!r} is not a valid UUID.",
        "{name} {filename!r} does not exist.",
        "{name} {filename!r} is a file.",
        "{name} {filename!r} is a directory.",
        "{name} {filename!r} is not readable.",
        "{name} {filename!r} is not writable.",
        "{name} {filename!r} is not executable.",
        "Repeat for confirmation",
        "Error: The two entered values do not match.",
        "Error: invalid input",
        "Do you want to continue?",
    }
)
#: Click's texts with a plural, by their singular (the catalogue's key).
PLURALS = frozenset(
    {
        "Got unexpected extra argument ({args})",
        "Takes {nargs} values but 1 was given.",
        "Did you mean {possibility}?",
        "Option {name!r} requires an argument.",
        "{value!r} is not {choice}.",
        "{value!r} does not match the format {format}.",
        "{len_type} values are required, but {len_value} was given.",
    }
)


def lookup(message: str) -> str:
    """Click's ``_``: ``message`` in the command line's language."""
    if message not in MESSAGES or language() != "zh-CN":
        return gettext.gettext(message)
    from lingtan.i18n.catalog import texts  # Babel: only for Chinese

    return texts("zh-CN").label(CONTEXT, message)


def lookup_plural(singular: str, plural: str, n: int) -> str:
    """Click's ``ngettext``: the form for ``n`` in the command line's language."""
    if singular not in PLURALS or language() != "zh-CN":
        return gettext.ngettext(singular, plural, n)
    from lingtan.i18n.catalog import texts

    return texts("zh-CN").plural_label(CONTEXT, singular, plural, n)


def install() -> None:
    """Bind click's lookups to :func:`lookup` and :func:`lookup_plural` (idempotent)."""
    for name in MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "_"):
            module._ = lookup
        if hasattr(module, "ngettext"):
            module.ngettext = lookup_plural
