"""Heavy libraries imported on first use, so that start-up (every command, every worker boot) stays lean.

``pd = lazy("pandas")`` gives a stand-in that imports pandas the first time an attribute is read (``pd.DataFrame``)
and from then on forwards to the module. Importing the URL conf and the apps must not import pandas, geopandas,
folium, mapclassify, scipy or scikit-learn (tests/test_architecture.py checks it; bench/bench_startup.py
measures it).
"""
import importlib
import types


class LazyModule(types.ModuleType):
    """A module imported on first attribute access."""

    def __init__(self, name: str):
        super().__init__(name)
        self.__dict__["_lazy_module"] = None

    def _load(self):
        module = self.__dict__["_lazy_module"]
        if module is None:
            module = self.__dict__["_lazy_module"] = importlib.import_module(self.__name__)
        return module

    def __getattr__(self, attr: str):
        return getattr(self._load(), attr)

    def __setattr__(self, attr: str, value) -> None:  # monkeypatching a lazy module patches the module
        setattr(self._load(), attr, value)

    def __delattr__(self, attr: str) -> None:
        delattr(self._load(), attr)

    def __dir__(self):
        return dir(self._load())

    def __repr__(self) -> str:
        return f"<lazy module {self.__name__!r}>"


def lazy(name: str) -> LazyModule:
    return LazyModule(name)
