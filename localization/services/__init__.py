"""Services: the database side of the data flows (imports, value entry, verification, downloads).

The pure readers and numeric functions live in ``localization.core``; the modules here put their results into
the database, check permissions with ``localization.permissions`` and keep history with simple_history.
"""
