"""Errors that name what was wrong: where (file, row, source), field, value and rule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lingtan.i18n import Message

__all__ = ["Explained", "InputError", "InputProblem", "one_of", "unreadable"]


class Explained(Exception):  # noqa: N818 (a mixin of the errors below, not an error itself)
    """An error raised with a :class:`~lingtan.i18n.Message`: ``str(error)`` is the English
    text and :attr:`message` the text to embed in another Message or a rule, translated
    where it is shown."""

    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class InputProblem:
    """One thing wrong with an input.

    ``where`` locates it (``source boiler-1``, ``instrument gec-001``, ``custom.csv row 7``),
    ``field`` and ``value`` say what was read, ``rule`` says what it broke.
    """

    where: str
    field: str
    value: Any
    rule: str

    def __str__(self) -> str:
        value = "(missing)" if self.value is None else repr(self.value)
        return f"{self.where}: field {self.field!r} = {value}: {self.rule}"

    def as_dict(self) -> dict[str, Any]:
        value = self.value if isinstance(self.value, str | int | float | bool) else None
        if value is None and self.value is not None:
            value = repr(self.value)
        return {"where": self.where, "field": self.field, "value": value, "rule": self.rule}


class InputError(ValueError):
    """An input lingtan refuses; carries every problem found, not only the first."""

    def __init__(self, problems: list[InputProblem] | InputProblem, *, origin: str = ""):
        self.problems = [problems] if isinstance(problems, InputProblem) else list(problems)
        self.origin = origin
        super().__init__(self._message())

    def _message(self) -> str:
        head = f"{self.origin}: " if self.origin else ""
        count = len(self.problems)
        lines = [f"{head}{count} problem{'s' if count != 1 else ''} in the input"]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)


def one_of(options: Iterable[str]) -> Message:
    """The rule of a value that is not one of ``options``."""
    return Message("must be one of %(options)s", options=", ".join(options))


def unreadable(exc: OSError) -> Message:
    """The rule of a file that cannot be read, with the system's reason (in English)."""
    return Message("cannot be read (%(reason)s)", reason=exc.strerror)
