"""Errors that name what was wrong: where (file, row, source), field, value and rule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lingtan.i18n import Message

__all__ = [
    "MAX_PROBLEMS",
    "Explained",
    "InputError",
    "InputProblem",
    "InputTooLargeError",
    "Problems",
    "one_of",
    "read_text_file",
    "unreadable",
]


#: Problems an error lists; the others are counted (a file of a million bad rows must not
#: hold a million problems in memory, nor print them).
MAX_PROBLEMS = 100


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


class Problems(list[InputProblem]):
    """The problems of one input as they are found: the first ``limit`` are kept, the others
    only counted in :attr:`omitted`."""

    def __init__(self, problems: Iterable[InputProblem] = (), *, limit: int = MAX_PROBLEMS):
        super().__init__()
        self.limit, self.omitted = limit, 0
        self.extend(problems)

    def append(self, problem: InputProblem) -> None:
        if len(self) < self.limit:
            super().append(problem)
        else:
            self.omitted += 1

    def insert(self, index: int, problem: InputProblem) -> None:  # type: ignore[override]
        """Put ``problem`` among the listed ones (the last listed one becomes counted)."""
        super().insert(index, problem)
        if len(self) > self.limit:
            super().pop()
            self.omitted += 1

    def extend(self, problems: Iterable[InputProblem]) -> None:
        for problem in problems:
            self.append(problem)
        self.omitted += getattr(problems, "omitted", 0)

    def __iadd__(self, problems: Iterable[InputProblem]) -> Problems:  # type: ignore[override]
        self.extend(problems)
        return self

    def __reduce__(self):  # pickles (to and from worker processes) with its count
        return _problems, (list(self), self.limit, self.omitted)


def _problems(kept: list[InputProblem], limit: int, omitted: int) -> Problems:
    problems = Problems(kept, limit=limit)
    problems.omitted = omitted
    return problems


class InputError(ValueError):
    """An input lingtan refuses; carries every problem found, not only the first (at most
    :data:`MAX_PROBLEMS` of them, and the count of the others in :attr:`omitted`)."""

    def __init__(
        self, problems: Iterable[InputProblem] | InputProblem, *, origin: str = ""
    ) -> None:
        self.problems = Problems([problems] if isinstance(problems, InputProblem) else problems)
        self.origin = origin
        super().__init__(self._message())

    @property
    def omitted(self) -> int:
        return self.problems.omitted

    def not_listed(self) -> Message | None:
        """The line that counts the problems not listed, or None when all are."""
        if not self.omitted:
            return None
        return Message("%(n)s more problems not listed", n=self.omitted)

    def _message(self) -> str:
        head = f"{self.origin}: " if self.origin else ""
        count = len(self.problems) + self.omitted
        lines = [f"{head}{count} problem{'s' if count != 1 else ''} in the input"]
        lines += [f"  - {problem}" for problem in self.problems]
        if (rest := self.not_listed()) is not None:
            lines.append(f"  {rest}")
        return "\n".join(lines)


def one_of(options: Iterable[str]) -> Message:
    """The rule of a value that is not one of ``options``."""
    return Message("must be one of %(options)s", options=", ".join(options))


def unreadable(exc: OSError) -> Message:
    """The rule of a file that cannot be read, with the system's reason (in English)."""
    return Message("cannot be read (%(reason)s)", reason=exc.strerror)


def read_text_file(path: str | Path, where: str | None = None, encoding: str = "utf-8-sig") -> str:
    """The text of a file, or an :class:`InputError` naming it (``where``, default its path)
    with the rule it broke: it cannot be read, or it is not UTF-8 text."""
    where = str(path) if where is None else where
    try:
        return Path(path).read_text(encoding=encoding)
    except OSError as exc:
        problem = InputProblem(where, "file", where, unreadable(exc))
    except UnicodeDecodeError:
        problem = InputProblem(where, "file", where, Message("is not UTF-8 text"))
    raise InputError(problem, origin=where)


class InputTooLargeError(InputError):
    """An input refused for its size (rows, bytes) before all of it was read; the web
    answers it with 413."""
