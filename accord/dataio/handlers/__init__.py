"""Import handlers per record type (see :mod:`accord.dataio.handlers.base` for the contract)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accord.dataio.handlers.base import CHUNK_SIZE, Handler, RowResult, TargetField

__all__ = [
    "CHUNK_SIZE",
    "Handler",
    "RowResult",
    "TargetField",
    "get_handler",
    "handlers",
    "register_handler",
]

_HANDLERS: dict[str, Handler] = {}
_LOADED = False


def register_handler(handler: Handler) -> Handler:
    """Register a handler instance for its ``object_type`` (the last registration wins)."""
    _HANDLERS[handler.object_type] = handler
    return handler


def _load() -> None:
    """Import the handler modules once so that they register themselves."""
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        if info.name != "base" and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


def handlers() -> list[Handler]:
    """All registered handlers, in registration order."""
    _load()
    return list(_HANDLERS.values())


def get_handler(object_type: str) -> Handler:
    """The handler for ``object_type``; ValidationError naming the type when there is none."""
    _load()
    try:
        return _HANDLERS[object_type]
    except KeyError:
        raise ValidationError(
            {
                "object_type": [
                    _("Records of type %(type)s cannot be imported.") % {"type": object_type}
                ]
            }
        ) from None
