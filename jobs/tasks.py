"""The one task every job runs through (see :func:`jobs.runner.execute`)."""
from django_tasks import task

from .execution import execute


@task()
def run_job(label: str, pk: int, func_path: str, fail_path: str, args: list, kwargs: dict, lang: str) -> str:
    return execute(label, pk, func_path, fail_path, args, kwargs, lang)
