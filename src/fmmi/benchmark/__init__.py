"""Tasks with known MI, a resumable runner, and reports."""

from .runner import ESTIMATORS, run_benchmark
from .tasks import Task, get_task, list_tasks

__all__ = ["ESTIMATORS", "Task", "get_task", "list_tasks", "run_benchmark"]
