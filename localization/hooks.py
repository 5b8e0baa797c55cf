"""App-config hooks: how apps further up the stack (geo, budget) contribute to localization's pages and commands
without localization importing them. An app contributes by defining a method of the hook's name on its AppConfig."""
from __future__ import annotations

from collections.abc import Iterator

from django.apps import AppConfig, apps


def app_hooks(name: str) -> Iterator[tuple[AppConfig, object]]:
    """``(config, method)`` for every installed app (in INSTALLED_APPS order) that defines the hook ``name``."""
    for config in apps.get_app_configs():
        hook = getattr(config, name, None)
        if callable(hook):
            yield config, hook
