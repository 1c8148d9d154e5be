"""Model families, one module each. Every module in this package is imported here, so its ``@register``
calls run; a new family needs only its own file (see ``modelhub/registry.py`` for how to register)."""

from __future__ import annotations

import importlib
import pkgutil

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if not _module.startswith("_"):
        importlib.import_module(f"{__name__}.{_module}")
