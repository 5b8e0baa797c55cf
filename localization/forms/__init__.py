"""Localization's forms, by concern: ``region`` (a region's contacts), ``data`` (imports, indicator editing,
value entry, uploads, verification, downloads; the write API's value form), ``indicators`` (filters, decomposition,
target proposals and reviews, comparison)."""
