"""YAML input read strictly: a key given twice in one mapping is refused, and so is a file YAML
cannot read (its syntax, or a value it cannot construct such as the date ``2026-13-01``).

YAML 1.2 requires keys to be unique, but PyYAML keeps the last value silently: a second
``quantity`` in a source would replace the first unseen. Every repeat is reported with its line
and the line of the first, so that the file is refused with all of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from lingtan.errors import InputError, InputProblem, read_text_file
from lingtan.i18n import Message

__all__ = ["parse_yaml", "read_yaml_file"]


class _StrictLoader(yaml.SafeLoader):
    """YAML's safe loader that records a key given twice in one mapping."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, int, Any]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                if key in first:
                    self.duplicates.append((line, first[key], key))
                else:
                    first[key] = line
            except TypeError:  # an unhashable key: the constructor below reports it
                continue
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str, origin: str) -> Any:
    """The data of YAML ``text``, or an :class:`InputError` naming ``origin`` (a file's name):
    where YAML stopped and why, or each key given twice with its line and the first's."""
    loader = _StrictLoader(text)
    try:
        document = loader.get_single_data()
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: a date such as 2026-13-01
        rule = Message("is not YAML (%(reason)s)", reason=str(exc).splitlines()[0])
        mark = getattr(exc, "problem_mark", None)
        place = f"{origin} line {mark.line + 1}" if mark is not None else origin
        raise InputError(InputProblem(place, "file", origin, rule), origin=origin) from None
    finally:
        loader.dispose()
    if loader.duplicates:
        raise InputError(
            [
                InputProblem(
                    Message("%(file)s line %(line)d", file=origin, line=line),
                    str(key),
                    key,
                    Message(
                        "is given twice in one mapping (first on line %(first)d); only the last "
                        "value would be kept, so the file is refused",
                        first=earlier,
                    ),
                )
                for line, earlier, key in loader.duplicates
            ],
            origin=origin,
        )
    return document


def read_yaml_file(path: str | Path, where: str | None = None) -> Any:
    """The data of the YAML file at ``path`` (:func:`~lingtan.errors.read_text_file`, then
    :func:`parse_yaml`), refused naming it as ``where`` (default its path)."""
    where = str(path) if where is None else where
    return parse_yaml(read_text_file(path, where), where)
