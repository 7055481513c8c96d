"""Strict YAML reading for configuration files.

A SafeLoader subclass (as safe as `yaml.safe_load`: plain data only) with three changes:
  * unquoted decimals such as `0.10` stay text (`DecimalText`), so money and prices are parsed
    exactly by `fixengine.pricing` instead of passing through a binary float;
  * a key that appears twice in one mapping is an error (PyYAML would keep the last silently);
  * every mapping remembers the line of each key, so errors can point at the line.

`Section` walks the loaded tree, tracks the dotted key path, converts values with one clear
message per mistake, and refuses keys nobody read (typos must not be ignored).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Callable, TypeVar

import yaml

from fixengine.config.types import ConfigError

T = TypeVar("T")


class DecimalText(str):
    """The source text of an unquoted YAML float (e.g. `0.10`), kept exact."""


class LineDict(dict):
    """A mapping that also knows the 1-based source line of each key."""

    lines: dict[Any, int]
    line: int


class _ExactLoader(yaml.SafeLoader):
    pass


def _construct_float(loader: _ExactLoader, node: yaml.ScalarNode) -> DecimalText:
    return DecimalText(loader.construct_scalar(node))


def _construct_map(loader: _ExactLoader, node: yaml.MappingNode):
    data = LineDict()
    data.lines = {}
    data.line = node.start_mark.line + 1
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, (str, int, bool)) or key is None:
            raise yaml.constructor.ConstructorError(None, None, f"unsupported key {key!r}", key_node.start_mark)
        if key in data:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first at line {data.lines[key]})", key_node.start_mark
            )
        data[key] = loader.construct_object(value_node, deep=True)
        data.lines[key] = line


_ExactLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_ExactLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)


def read_yaml(path: Path) -> LineDict:
    """Parse a config file into a LineDict; any syntax or file problem is one ConfigError."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(name, "", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(name, "", f"cannot read file: {exc.__class__.__name__}: {exc}") from None
    try:
        data = yaml.load(text, Loader=_ExactLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(name, "", f"invalid YAML: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(name, "", f"invalid YAML: {exc}") from None
    if not isinstance(data, LineDict):
        raise ConfigError(name, "", "the top level must be a mapping of settings")
    return data


class Section:
    """One mapping of the config, with its key path, for typed and checked access."""

    def __init__(self, file: str, path: str, data: LineDict, line: int | None = None) -> None:
        self.file = file
        self.path = path
        self.data = data
        self.line = line if line is not None else getattr(data, "line", None)
        self._read: set[Any] = set()

    # ----------------------------------------------------------------- errors and paths

    def key_path(self, key: Any) -> str:
        return f"{self.path}.{key}" if self.path else str(key)

    def line_of(self, key: Any) -> int | None:
        return getattr(self.data, "lines", {}).get(key, self.line)

    def error(self, key: Any, problem: str) -> ConfigError:
        return ConfigError(self.file, self.key_path(key), problem, self.line_of(key))

    def whole_error(self, problem: str) -> ConfigError:
        return ConfigError(self.file, self.path, problem, self.line)

    # ----------------------------------------------------------------- access

    def has(self, key: Any) -> bool:
        return key in self.data and self.data[key] is not None

    def keys(self) -> list[Any]:
        return list(self.data.keys())

    def raw(self, key: Any, default: Any = None, required: bool = False) -> Any:
        self._read.add(key)
        if key not in self.data or self.data[key] is None:
            if required:
                typo = self._closest(key, [k for k in self.data if k not in self._read])
                hint = f" (found {typo!r}: a typo?)" if typo else ""
                raise self.error(key, f"required setting is missing{hint}")
            return default
        return self.data[key]

    def get(self, key: Any, convert: Callable[[Any], T], default: Any = None, required: bool = False) -> T:
        """`convert(raw)` raises ValueError(problem) for a bad value; it becomes a ConfigError here."""
        value = self.raw(key, required=required)
        if value is None:
            return default
        try:
            return convert(value)
        except ValueError as exc:
            raise self.error(key, str(exc)) from None

    def section(self, key: Any, required: bool = False) -> Section:
        value = self.raw(key, required=required)
        if value is None:
            value = LineDict()
            value.lines = {}
            value.line = self.line_of(key)
        if not isinstance(value, dict):
            raise self.error(key, f"must be a mapping of settings, got {describe(value)}")
        return Section(self.file, self.key_path(key), value)

    def finish(self) -> None:
        """Every key must have been read: an unknown key is almost always a typo."""
        for key in self.data:
            if key not in self._read:
                near = self._closest(key, [k for k in self._read if k not in self.data])
                hint = f"did you mean {near!r}?" if near else "check the spelling"
                raise self.error(key, f"unknown setting ({hint})")

    @staticmethod
    def _closest(key: Any, candidates: list[Any]) -> str | None:
        names = [str(c) for c in candidates]
        match = difflib.get_close_matches(str(key), names, n=1, cutoff=0.75)
        return match[0] if match else None


# --------------------------------------------------------------------- converters


def describe(value: Any) -> str:
    """A short description of a YAML value for messages."""
    if isinstance(value, DecimalText):
        return f"number {value}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, str)):
        return repr(value) if isinstance(value, str) else str(value)
    return type(value).__name__.replace("LineDict", "mapping")


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError(f"must be true or false, got {describe(value)}")


def as_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"must be a whole number, got {describe(value)}")
    return value


def as_str(value: Any) -> str:
    if not isinstance(value, str) or isinstance(value, DecimalText) or not value.strip():
        raise ValueError(f"must be non-empty text, got {describe(value)}")
    return value.strip()


def as_seconds(value: Any) -> float:
    """A positive duration in seconds (durations are not money: a float is fine here)."""
    if isinstance(value, bool):
        raise ValueError(f"must be a number of seconds, got {describe(value)}")
    try:
        seconds = float(value) if isinstance(value, (int, str)) else None
    except ValueError:
        seconds = None
    if seconds is None or not seconds > 0 or seconds != seconds or seconds == float("inf"):
        raise ValueError(f"must be a positive number of seconds, got {describe(value)}")
    return seconds


def as_number_text(value: Any) -> str:
    """Text for an exact decimal parser: YAML ints and unquoted decimals are accepted as written."""
    if isinstance(value, bool):
        raise ValueError(f"must be a number, got {describe(value)}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    raise ValueError(f"must be a number, got {describe(value)}")


def one_of(choices: dict[str, T]) -> Callable[[Any], T]:
    def convert(value: Any) -> T:
        if isinstance(value, str) and value in choices:
            return choices[value]
        raise ValueError(f"must be one of {', '.join(choices)}, got {describe(value)}")

    return convert
