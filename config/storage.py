"""Static files storage for production: whitenoise's compressed manifest storage, minus source-map rewriting.

Vendored files from PyPI packages (XStatic Leaflet.markercluster) end with ``//# sourceMappingURL=…`` pointing
at ``.map`` files the package does not ship; the stock storage aborts collectstatic on them. Source maps are a
debugging aid, so their references are left as they are instead of being hashed.
"""
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    patterns = tuple(
        (extension, tuple(p for p in rules if "sourceMappingURL" not in str(p)))
        for extension, rules in CompressedManifestStaticFilesStorage.patterns
    )
