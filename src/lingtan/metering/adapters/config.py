"""What the collection adapters share: their configuration files, the record of a rejected
input, timestamps of payloads, and required keys.

Configuration files are YAML (``.yaml``/``.yml``), TOML (``.toml``) or JSON (``.json``); each
adapter module documents its own schema. A plain dict is accepted wherever a file is.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

__all__ = ["ConfigError", "IngestError", "load_config", "parse_timestamp", "require"]


class ConfigError(ValueError):
    """An adapter configuration that cannot work; the message names the key."""


@dataclass(frozen=True)
class IngestError:
    """A rejected input: what came in, where, which field, and why.

    Parameters
    ----------
    source : str
        Topic, device and register, or node id, e.g. ``mqtt:factory/a/meter/m1``.
    field : str
        The payload field, register or node that was wrong (``""`` for the whole message).
    message : str
        What was wrong, for a person.
    value : str
        An excerpt of the offending value (at most 200 characters).
    at : datetime
        When the error was recorded (UTC).
    """

    source: str
    field: str
    message: str
    value: str = ""
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __str__(self) -> str:
        where = f"{self.source} field {self.field!r}" if self.field else self.source
        excerpt = f" (value {self.value!r})" if self.value else ""
        return f"{where}: {self.message}{excerpt}"


def load_config(config: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """Read an adapter configuration from a YAML, TOML or JSON file, or copy a mapping.

    Parameters
    ----------
    config : str, Path or mapping

    Returns
    -------
    dict
    """
    if isinstance(config, Mapping):
        return dict(config)
    path = Path(config)
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    if suffix == ".toml":
        data: Any = tomllib.loads(text)
    elif suffix == ".json":
        data = json.loads(text)
    elif suffix in (".yaml", ".yml"):
        data = yaml.safe_load(text)
    else:
        raise ConfigError(f"{path}: unknown configuration format (use .yaml, .toml or .json)")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping at the top level")
    return data


def parse_timestamp(raw: Any, *, unit: str = "s", tz: str | None = None) -> datetime:
    """Turn a payload timestamp into an aware UTC datetime.

    Parameters
    ----------
    raw : str, int or float
        ISO 8601 text (with offset, or naive when *tz* is given) or a number since the epoch.
    unit : {"s", "ms"}
        Unit of numeric timestamps.
    tz : str, optional
        IANA zone for naive ISO timestamps (e.g. ``Asia/Shanghai``); without it they are refused.

    Returns
    -------
    datetime
    """
    if isinstance(raw, bool):
        raise ValueError("a boolean is not a timestamp")
    if isinstance(raw, int | float):
        seconds = raw / 1000.0 if unit == "ms" else float(raw)
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(raw, str):
        ts = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        if ts.tzinfo is None:
            if tz is None:
                raise ValueError("timestamp has no UTC offset and no timezone is configured")
            ts = ts.replace(tzinfo=ZoneInfo(tz))
        return ts.astimezone(UTC)
    raise ValueError(f"expected ISO 8601 text or a number, got {type(raw).__name__}")


def require(mapping: Mapping[str, Any], key: str, where: str) -> Any:
    """Return ``mapping[key]`` or raise :class:`ConfigError` naming *where* and *key*."""
    if key not in mapping:
        raise ConfigError(f"{where}: missing required key {key!r}")
    return mapping[key]
