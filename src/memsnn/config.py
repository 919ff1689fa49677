"""Typed configuration: dataclasses that load from dicts/TOML, validate, and dump back to TOML.

Every experiment's configuration is a (nested) dataclass deriving from :class:`Config`. Values are checked in
``validate()`` with the helpers below, which raise :class:`~memsnn.errors.ConfigError` naming the bad value.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
import typing
from pathlib import Path
from typing import Any, Mapping, TypeVar

from .errors import ConfigError

C = TypeVar("C", bound="Config")


def check_positive(name: str, value: float, *, allow_zero: bool = False) -> None:
    """Raise ConfigError unless ``value > 0`` (or ``>= 0`` with allow_zero)."""
    ok = value >= 0 if allow_zero else value > 0
    if not ok or (isinstance(value, float) and math.isnan(value)):
        bound = ">= 0" if allow_zero else "> 0"
        raise ConfigError(f"{name} must be {bound}, got {value!r}")


def check_range(name: str, value: float, lo: float, hi: float, *, closed: str = "[]") -> None:
    """Raise ConfigError unless value lies in the interval; ``closed`` is one of '[]', '()', '[)', '(]'."""
    left_ok = value >= lo if closed[0] == "[" else value > lo
    right_ok = value <= hi if closed[1] == "]" else value < hi
    if not (left_ok and right_ok) or (isinstance(value, float) and math.isnan(value)):
        raise ConfigError(f"{name} must lie in {closed[0]}{lo}, {hi}{closed[1]}, got {value!r}")


def check_choice(name: str, value: Any, choices: typing.Iterable[Any]) -> None:
    """Raise ConfigError unless value is one of choices."""
    choices = list(choices)
    if value not in choices:
        raise ConfigError(f"{name} must be one of {choices}, got {value!r}")


def _coerce(name: str, tp: Any, value: Any) -> Any:
    """Convert a TOML/CLI value to the annotated type ``tp`` (scalars, tuples, lists, Optional, nested Config)."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union or (origin is not None and str(origin) == "<class 'types.UnionType'>"):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(name, inner[0], value)
    if isinstance(tp, type) and issubclass(tp, Config):
        if isinstance(value, tp):
            return value
        if not isinstance(value, Mapping):
            raise ConfigError(f"{name} must be a table, got {value!r}")
        return tp.from_dict(value, prefix=f"{name}.")
    if origin in (tuple, list):
        if isinstance(value, str) and value.strip().startswith("["):  # a TOML array given on the command line
            try:
                value = tomllib.loads(f"x = {value}")["x"]
            except tomllib.TOMLDecodeError:
                raise ConfigError(f"{name} must be a list like [1, 2], got {value!r}") from None
        if isinstance(value, (str, bytes)) or not isinstance(value, typing.Iterable):
            raise ConfigError(f"{name} must be a list, got {value!r}")
        item_tp = args[0] if args else Any
        items = [_coerce(f"{name}[{i}]", item_tp, v) for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if tp is Any:
        return value
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
        raise ConfigError(f"{name} must be true or false, got {value!r}")
    if tp in (int, float):
        if isinstance(value, bool):
            raise ConfigError(f"{name} must be a number, got {value!r}")
        try:
            out = tp(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be {'an integer' if tp is int else 'a number'}, got {value!r}") from None
        if tp is int and isinstance(value, float) and value != out:
            raise ConfigError(f"{name} must be an integer, got {value!r}")
        return out
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{name} must be a string, got {value!r}")
        return value
    return value


def parse_scalar(text: str) -> Any:
    """A command-line value as a TOML scalar (number, boolean, quoted string, array); bare words stay strings."""
    try:
        return tomllib.loads(f"x = {text}")["x"]
    except tomllib.TOMLDecodeError:
        return text


def parse_overrides(items: typing.Iterable[str]) -> dict[str, str]:
    """``KEY=VALUE`` strings (``--set``) → {key: value}; values stay strings and are converted by the field's type."""
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--set expects KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        out[key.strip()] = value.strip()
    return out


@dataclasses.dataclass
class Config:
    """Base of all configuration dataclasses."""

    def validate(self) -> None:
        """Check every value; subclasses extend this and call ``super().validate()``."""
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, Config):
                v.validate()

    @classmethod
    def from_dict(cls: type[C], data: Mapping[str, Any], *, prefix: str = "") -> C:
        """Build from a mapping; unknown keys raise ConfigError. Missing keys keep their defaults."""
        hints = typing.get_type_hints(cls)
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = [k for k in data if k.replace("-", "_") not in names]
        if unknown:
            raise ConfigError(f"unknown option {prefix}{unknown[0]!r} (known: {', '.join(sorted(names))})")
        kwargs = {}
        for key, value in data.items():
            attr = key.replace("-", "_")
            kwargs[attr] = _coerce(prefix + attr, hints[attr], value)
        try:
            obj = cls(**kwargs)
        except TypeError as exc:  # a required field is missing
            raise ConfigError(f"{prefix}{exc}") from None
        return obj

    @classmethod
    def from_toml(cls: type[C], path: str | Path) -> C:
        """Load from a TOML file (top-level keys are this dataclass's fields)."""
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {p}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {p} is not valid TOML: {exc}") from None
        return cls.from_dict(data)

    def replace(self: C, **changes: Any) -> C:
        """A copy with some fields changed (coerced like from_dict); nested fields as 'a.b'."""
        data = self.to_dict()
        for key, value in changes.items():
            node = data
            parts = key.replace("-", "_").split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value
        return type(self).from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """A plain nested dict (tuples become lists)."""

        def conv(v: Any) -> Any:
            if isinstance(v, Config):
                return v.to_dict()
            if isinstance(v, (tuple, list)):
                return [conv(x) for x in v]
            if isinstance(v, Path):
                return str(v)
            return v

        return {f.name: conv(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def to_toml(self) -> str:
        """Serialise to TOML text (None values are left out)."""
        return dumps_toml(self.to_dict())


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
            return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def dumps_toml(data: Mapping[str, Any], _table: str = "") -> str:
    """Minimal TOML writer for nested dicts of scalars and lists."""
    lines = []
    tables = []
    for k, v in data.items():
        if v is None:
            continue
        if isinstance(v, Mapping):
            tables.append((k, v))
        else:
            lines.append(f"{k} = {_toml_value(v)}")
    out = "\n".join(lines) + ("\n" if lines else "")
    for k, v in tables:
        name = f"{_table}.{k}" if _table else k
        out += f"\n[{name}]\n" + dumps_toml(v, name)
    return out
