"""Certificate and contract serials: one claim per serial in a calculation.

A green electricity certificate (GEC, 绿证) can be claimed once (发改能源〔2023〕1044号: the
GEC is the sole proof of the attribute and is sold only once); the same serial, or two
ranges that share a serial, claimed by two instruments of one inventory would count the
same MWh twice. An instrument's ``serial`` is read as one or more items separated by ``,``
or ``;``, each a serial (``GEC-2025-JS-000123``) or an inclusive range of serials that share
their text up to the trailing number: ``GEC-2025-JS-000001..018000`` or
``GEC-2025-JS-000001..GEC-2025-JS-018000``. Text without a trailing number is compared as is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lingtan.accounting.model import Instrument
from lingtan.catalog import fold_name
from lingtan.errors import InputProblem
from lingtan.i18n import Message

__all__ = ["CERTIFICATE_UNITS", "SerialRange", "parse_serials", "serial_problems"]

#: Units of an instrument counted in certificates (folded): one serial is one certificate.
CERTIFICATE_UNITS = frozenset({"certificate", "certificates", "gec", "张", "个"})

_TAIL = re.compile(r"^(.*?)(\d+)$")


@dataclass(frozen=True, slots=True)
class SerialRange:
    """Serials ``prefix + n`` for ``first <= n <= last`` (one serial when they are equal);
    ``first`` is None for a serial without a trailing number."""

    text: str
    prefix: str
    first: int | None
    last: int | None

    @property
    def count(self) -> int:
        """The number of serials in the range."""
        return 1 if self.first is None or self.last is None else self.last - self.first + 1

    def overlaps(self, other: SerialRange) -> bool:
        if self.prefix != other.prefix:
            return False
        if self.first is None or other.first is None:
            return self.first is other.first
        assert self.last is not None and other.last is not None
        return self.first <= other.last and other.first <= self.last


def parse_serials(text: str) -> list[SerialRange]:
    """The serials of an instrument's ``serial`` text.

    Raises
    ------
    ValueError
        For a range whose ends do not share their prefix, or that runs backwards.
    """
    ranges = []
    for item in filter(None, (part.strip() for part in re.split(r"[,;]", text))):
        start, dots, end = item.partition("..")
        head = _TAIL.match(start.strip())
        if not dots:
            if head is None:
                ranges.append(SerialRange(item, fold_name(item), None, None))
            else:
                number = int(head.group(2))
                ranges.append(SerialRange(item, fold_name(head.group(1)), number, number))
            continue
        end = end.strip()
        tail = _TAIL.match(end)
        if head is None or tail is None:
            raise ValueError(
                Message(
                    "range %(range)r must run between two serials ending in a number", range=item
                )
            )
        if tail.group(1) and fold_name(tail.group(1)) != fold_name(head.group(1)):
            raise ValueError(
                Message(
                    "range %(range)r: both ends must share the text before the number", range=item
                )
            )
        first, last = int(head.group(2)), int(tail.group(2))
        if last < first:
            raise ValueError(Message("range %(range)r runs backwards", range=item))
        ranges.append(SerialRange(item, fold_name(head.group(1)), first, last))
    return ranges


def serial_problems(instruments: Iterable[Instrument]) -> list[InputProblem]:
    """Every serial claimed twice, within one instrument or by two, every unreadable one, and
    every instrument in certificates whose quantity is not the number of its serials."""
    problems: list[InputProblem] = []
    claimed: list[tuple[SerialRange, str]] = []
    for instrument in instruments:
        if not instrument.serial:
            continue
        where = Message("instrument %(id)s", id=instrument.id)
        try:
            ranges = parse_serials(instrument.serial)
        except ValueError as exc:
            problems.append(InputProblem(where, "serial", instrument.serial, exc.args[0]))
            continue
        count = sum(serial.count for serial in ranges)
        if fold_name(instrument.unit) in CERTIFICATE_UNITS and count != instrument.quantity:
            rule = Message(
                "the serials name %(count)d certificate(s) but the quantity is %(quantity)s: "
                "an instrument in certificates claims each of its serials once",
                count=count,
                quantity=f"{instrument.quantity:g}",
            )
            problems.append(InputProblem(where, "quantity", instrument.quantity, rule))
        for serial in ranges:
            for other, owner in claimed:
                if serial.overlaps(other):
                    by = (
                        Message("this instrument")
                        if owner == instrument.id
                        else Message("instrument %(id)s", id=owner)
                    )
                    problems.append(
                        InputProblem(
                            where,
                            "serial",
                            instrument.serial,
                            Message(
                                "%(serial)s shares serials with %(other)s of %(by)s: a "
                                "certificate or contract can be claimed once in an inventory",
                                serial=serial.text,
                                other=other.text,
                                by=by,
                            ),
                        )
                    )
                    break
            claimed.append((serial, instrument.id))
    return problems
