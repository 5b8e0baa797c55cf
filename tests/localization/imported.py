"""Shared by the tests that import the national data set once per module (each test is rolled back on top)."""
import contextlib

from django.db import connection

from localization.models import ImportRun, Indicator, IndicatorValue
from localization.services import imports


def wipe_imported():
    """Remove everything an import writes (raw DELETE: 45k ORM deletes would each write a history row)."""
    with connection.cursor() as cursor:
        for model in (IndicatorValue.history.model, IndicatorValue, Indicator.history.model):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
    Indicator.targets.through.objects.all().delete()
    Indicator.objects.all().delete()
    Indicator.history.all().delete()
    ImportRun.objects.all().delete()


@contextlib.contextmanager
def national_import(django_db_blocker, only=None):
    """The national repository (or the indicators ``only``) imported into an emptied database, wiped after."""
    with django_db_blocker.unblock():
        wipe_imported()
        yield imports.import_repository(imports.NATIONAL_REPOSITORY, only=only)
        wipe_imported()
