from django.apps import AppConfig


class JobsConfig(AppConfig):
    """Background jobs on the django-tasks database queue: leases, the reaper and the worker command."""

    name = "jobs"
    default_auto_field = "django.db.models.BigAutoField"
