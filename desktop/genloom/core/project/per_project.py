"""One companion object per open project (boards, evaluations, judgements, sweeps...).

Views and jobs ask for a project's companion and must all get the same one (so they share
its signals); it goes when the project object does.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from genloom.core.project.project import Project

__all__ = ["PerProject"]

T = TypeVar("T")


class PerProject(Generic[T]):
    """``PerProject(factory)(project)``: the project's object, made by ``factory`` on first
    use (once, also when threads ask at the same time)."""

    def __init__(self, factory: Callable[[Project], T]) -> None:
        self._factory = factory
        self._items: weakref.WeakKeyDictionary[Project, T] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def __call__(self, project: Project) -> T:
        with self._lock:
            found = self._items.get(project)
            if found is None:
                found = self._items[project] = self._factory(project)
            return found
