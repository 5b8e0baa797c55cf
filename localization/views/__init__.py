"""Localization's pages, by concern: ``pages`` (home, regions, SDG framework), ``indicators`` (national list,
indicator and region pages, decomposition, comparison, VLR), ``data`` (downloads, imports, value entry and
verification), ``officer`` (an officer's landing page and "my region's work")."""
