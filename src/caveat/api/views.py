"""Service views as the API's response types (issue 15: views are the contract).

A service hands out frozen dataclasses (``ResourceView``, ``AuditEntry``, ...); the API
answers with them as they are. ``view_model(View)`` derives, once per view, the pydantic
model FastAPI validates the answer against and documents in OpenAPI: the same name, the
same docstring, the same fields, read from the dataclass, so an Out model never copies a
view field by field and cannot drift from it. Each field's JSON form is the one the API
has always written: a label is its ``caveat.label/1`` object, a set a sorted list, a
tuple a list, an enum its value, a datetime ``isoformat()``, a nested dataclass its own
derived model.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)
from pydantic import create_model as _create_model

from caveat.domain.labels import Label, label_to_json_object

LABEL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "a caveat.label/1 object (the structure its canonical JSON encodes)",
    "properties": {"version": {"type": "string", "examples": ["caveat.label/1"]}},
    "required": ["version"],
    "additionalProperties": True,
}


def plain(value: Any) -> Any:
    """Dataclasses, enums, sets, labels and dates as JSON-ready values."""
    if isinstance(value, Label):
        return label_to_json_object(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, frozenset | set):
        return sorted(plain(v) for v in value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _label_json(value: Any) -> Any:
    return label_to_json_object(value) if isinstance(value, Label) else value


def _sorted(value: Any) -> Any:
    return sorted(plain(value)) if isinstance(value, frozenset | set) else value


def _iso(value: datetime) -> str:
    return value.isoformat()


LabelObject = Annotated[dict[str, Any], BeforeValidator(_label_json), WithJsonSchema(LABEL_SCHEMA)]
IsoDatetime = Annotated[datetime, PlainSerializer(_iso, return_type=str, when_used="json")]
JsonValue = Annotated[Any, BeforeValidator(plain)]

_MODELS: dict[type[Any], type[BaseModel]] = {}
RESERVED_NAMES = frozenset({"Problem"})


class ViewModel(BaseModel):
    """Base of the derived models: validates a view instance by reading its fields (and
    the extras computed from it)."""

    model_config = ConfigDict(frozen=True)
    view_type: typing.ClassVar[type[Any] | None] = None
    view_fields: typing.ClassVar[tuple[str, ...]] = ()
    view_extras: typing.ClassVar[dict[str, Callable[[Any], Any]]] = {}

    @model_validator(mode="before")
    @classmethod
    def _read_view(cls, value: Any) -> Any:
        if cls.view_type is not None and isinstance(value, cls.view_type):
            out = {k: f(value) for k, f in cls.view_extras.items()}
            for name in cls.view_fields:
                if name not in out and hasattr(value, name):
                    out[name] = getattr(value, name)
            return out
        return value


def _json_type(hint: Any) -> Any:
    """The response type for a view field's type ``hint``."""
    if hint is Label:
        return LabelObject
    if hint is datetime:
        return IsoDatetime
    if hint is Any or hint is object:
        return JsonValue
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return view_model(hint)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is None:
        return hint
    if origin in (Union, types.UnionType):
        mapped = tuple(_json_type(a) for a in args)
        return Union[mapped]  # noqa: UP007 - built from a tuple of types
    if origin in (frozenset, set):
        return Annotated[list[_json_type(args[0])], BeforeValidator(_sorted)]  # type: ignore[misc]
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return list[_json_type(args[0])]  # type: ignore[misc]
        return tuple[tuple(_json_type(a) for a in args)]  # type: ignore[misc]
    if origin in (list, typing.Sequence, typing.Iterable):
        return list[_json_type(args[0])]  # type: ignore[misc]
    if origin in (dict, typing.Mapping, Mapping):
        return dict[_json_type(args[0]), _json_type(args[1])]  # type: ignore[misc]
    if origin is typing.Literal or origin is Annotated:
        return hint
    return hint


def view_model(
    view: type[Any],
    *,
    name: str | None = None,
    extras: Mapping[str, tuple[Any, Callable[[Any], Any] | None]] | None = None,
    exclude: Iterable[str] = (),
) -> type[BaseModel]:
    """The response model of the dataclass ``view``: one per view unless renamed,
    extended or narrowed. ``extras`` adds (or replaces) fields: name -> (type, function of
    the view), or (type, None) for a field the handler supplies itself; ``exclude`` leaves
    view fields out of the answer."""
    plain_view = extras is None and name is None and not exclude
    if plain_view and view in _MODELS:
        return _MODELS[view]
    hints = typing.get_type_hints(view, include_extras=True)
    left_out = set(exclude)
    fields: dict[str, Any] = {
        f.name: (_json_type(hints[f.name]), ...)
        for f in dataclasses.fields(view)
        if f.name not in left_out
    }
    computed = dict(extras or {})
    fields.update({k: (_json_type(t), ...) for k, (t, _) in computed.items()})
    title = name or view.__name__
    if title in RESERVED_NAMES:  # the document's own schemas (openapi.PROBLEM_SCHEMA)
        title = view.__module__.split(".")[2].title() + title
    model: type[ViewModel] = _create_model(
        title,
        __base__=ViewModel,
        __doc__=(view.__doc__ or "").strip() or None,
        __module__=view.__module__,
        **fields,
    )
    model.view_type = view
    model.view_fields = tuple(fields)
    model.view_extras = {k: f for k, (_, f) in computed.items() if f is not None}
    if plain_view:
        _MODELS[view] = model
    return model


def fields_of(view: Any) -> dict[str, Any]:
    """A view's fields as they are, for a model that adds fields the handler supplies
    (``extras`` with no function)."""
    return {f.name: getattr(view, f.name) for f in dataclasses.fields(view)}


def response_of(method: Callable[..., Any]) -> Any:
    """The response type of what a service ``method`` returns (its annotation), for views
    a feature hands out without naming them in its entry point."""
    return _json_type(typing.get_type_hints(method, include_extras=True)["return"])
