#!/usr/bin/env python
import os
import sys


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "count_pabulib":
        # Recounting a pabulib file needs budget.core only (no settings, no database, no
        # web stack): hand it to the plain CLI before Django starts, so it starts in a
        # fraction of a second. `manage.py help count_pabulib` shows the same options.
        from budget.core.cli import main as count_main

        sys.exit(count_main(sys.argv[2:], prog="manage.py count_pabulib"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
