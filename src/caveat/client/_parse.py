"""Light dataclasses from the API's JSON (the SDK's typed returns).

Each SDK type mirrors the view the API documents under the same name; ``parse`` builds
one from a JSON object, nested types and tuples included, and ignores keys it does not
know (a newer server may add fields). Times stay the ISO 8601 text the API wrote.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar, Union

T = TypeVar("T")


def parse(cls: type[T], data: Mapping[str, Any]) -> T:
    """An instance of the dataclass ``cls`` from the JSON object ``data``."""
    hints = typing.get_type_hints(cls)
    values = {
        f.name: _value(hints[f.name], data[f.name])
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.name in data
    }
    return cls(**values)


def parse_list(cls: type[T], data: Any) -> list[T]:
    """A list of ``cls`` from a JSON array of objects."""
    return [parse(cls, item) for item in data]


def _value(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return parse(hint, value)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (Union, types.UnionType):
        kinds = [a for a in args if a is not type(None)]
        return _value(kinds[0], value) if len(kinds) == 1 else value
    if origin is tuple:
        item = args[0] if args else Any
        return tuple(_value(item, v) for v in value)
    if origin is list:
        return [_value(args[0], v) for v in value]
    if origin is dict and len(args) == 2:
        return {k: _value(args[1], v) for k, v in value.items()}
    return value
