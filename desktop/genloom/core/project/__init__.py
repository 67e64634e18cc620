"""The project store: a folder with a SQLite database, content-addressed asset
files and a job queue. See :class:`Project`.
"""

from __future__ import annotations

from genloom.core.project.asset import Asset, AssetCard
from genloom.core.project.check import CheckReport
from genloom.core.project.errors import (
    AssetNotFoundError,
    JobNotFoundError,
    JobStateError,
    ProjectError,
    ProjectExistsError,
    ProjectNotFoundError,
    SchemaTooNewError,
)
from genloom.core.project.job import JOB_STATES, Job
from genloom.core.project.jobs import JobQueue
from genloom.core.project.migrations import SCHEMA_VERSION
from genloom.core.project.project import DB_NAME, Project
from genloom.core.project.project_events import ProjectEvents
from genloom.core.project.queries import AssetFilter

__all__ = [
    "DB_NAME",
    "JOB_STATES",
    "SCHEMA_VERSION",
    "Asset",
    "AssetCard",
    "AssetFilter",
    "AssetNotFoundError",
    "CheckReport",
    "Job",
    "JobNotFoundError",
    "JobQueue",
    "JobStateError",
    "Project",
    "ProjectError",
    "ProjectEvents",
    "ProjectExistsError",
    "ProjectNotFoundError",
    "SchemaTooNewError",
]
