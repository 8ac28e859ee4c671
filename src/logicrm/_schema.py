"""JSON Schema (draft 2020-12) for logicrm's attrs types, derived from their fields."""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import attrs

from logicrm.domain._money import ISO_4217, Money

_DECIMAL_PATTERN = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def json_schema(cls: type) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) describing what [`to_dict()`][logicrm.serialization.to_dict]
    makes of a ``cls``.

    The schema fixes the shape (field names, types, required fields, enum values, formats); rules
    that relate fields to each other (``units_damaged <= units_delivered``) are checked by
    [`from_dict()`][logicrm.serialization.from_dict], not by the schema. Nested types live under
    ``$defs``.

    Examples:
        >>> from logicrm import Money
        >>> " ".join(json_schema(Money)["required"])
        'amount currency'
    """
    if not attrs.has(cls):
        raise TypeError(f"{cls!r} is not a logicrm attrs type")
    defs: dict[str, Any] = {}
    root = _object_schema(cls, defs)
    root = {"$schema": _DIALECT, "title": cls.__name__, **root}
    defs.pop(cls.__name__, None)
    if defs:
        root["$defs"] = defs
    return root


def _object_schema(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    if cls is Money:
        return {
            "type": "object",
            "properties": {
                "amount": {"type": "string", "pattern": _DECIMAL_PATTERN},
                "currency": {"type": "string", "enum": sorted(ISO_4217)},
            },
            "required": ["amount", "currency"],
            "additionalProperties": False,
        }
    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in attrs.fields(cls):
        if not field.init:
            continue
        properties[field.name] = _schema_for(hints[field.name], defs)
        if field.default is attrs.NOTHING:
            required.append(field.name)
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    doc = (cls.__doc__ or "").strip().splitlines()
    if doc:
        schema["description"] = doc[0]
    return schema


def _schema_for(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        options = [_schema_for(a, defs) for a in args if a is not type(None)]
        if type(None) in args:
            options.append({"type": "null"})
        return options[0] if len(options) == 1 else {"anyOf": options}
    if origin is tuple:
        return {"type": "array", "items": _schema_for(args[0], defs)}
    if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
        key, value = args
        schema: dict[str, Any] = {
            "type": "object",
            "additionalProperties": _schema_for(value, defs),
        }
        if isinstance(key, type) and issubclass(key, Enum):
            schema["propertyNames"] = {"enum": [m.value for m in key]}
        return schema
    if isinstance(tp, type) and attrs.has(tp):
        if tp.__name__ not in defs:
            defs[tp.__name__] = {}  # placeholder first: allows recursive types
            defs[tp.__name__] = _object_schema(tp, defs)
        return {"$ref": f"#/$defs/{tp.__name__}"}
    if isinstance(tp, type) and issubclass(tp, Enum):
        return {"type": "string", "enum": [m.value for m in tp]}
    simple: dict[Any, dict[str, Any]] = {
        str: {"type": "string", "minLength": 1},
        bool: {"type": "boolean"},
        int: {"type": "integer"},
        float: {"type": "number"},
        Decimal: {"type": "string", "pattern": _DECIMAL_PATTERN},
        datetime: {"type": "string", "format": "date-time"},
        date: {"type": "string", "format": "date"},
    }
    if tp in simple:
        return dict(simple[tp])
    if tp is object or tp is Any:
        return {}
    raise TypeError(f"no JSON Schema for {tp!r}")
