"""Concurrent claims: several threads or processes never get the same job."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from genloom.core.project import Project

JOBS = 60


def _fill(project: Project) -> set[int]:
    return {project.jobs.enqueue("image.t2i", {"i": i}, seed=i).id for i in range(JOBS)}


def test_threads_claiming_at_once_never_share_a_job(project: Project) -> None:
    queued = _fill(project)
    claims: dict[str, list[int]] = {}
    start = threading.Barrier(4)

    def engine(owner: str) -> None:
        mine = claims.setdefault(owner, [])
        start.wait()
        while (job := project.jobs.claim_next(owner)) is not None:
            mine.append(job.id)

    threads = [threading.Thread(target=engine, args=(f"thread-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    every_claim = [job_id for ids in claims.values() for job_id in ids]
    assert sorted(every_claim) == sorted(queued)  # each job exactly once
    for owner, ids in claims.items():
        assert all(project.jobs.get(i).owner == owner for i in ids)


CLAIMER = """
import sys
from genloom.core.project import Project
project = Project.open(sys.argv[1])
sys.stdin.readline()  # start together
while (job := project.jobs.claim_next(sys.argv[2])) is not None:
    print(job.id, flush=True)
project.close()
"""


def test_processes_claiming_at_once_never_share_a_job(project: Project) -> None:
    queued = _fill(project)
    procs = [subprocess.Popen([sys.executable, "-c", CLAIMER, str(project.path), f"proc-{n}"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for n in range(3)]
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    claimed: list[int] = []
    for proc in procs:
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0
        claimed += [int(line) for line in out.split()]
    assert sorted(claimed) == sorted(queued)
    assert {j.state for j in project.jobs.list()} == {"running"}


def test_a_project_opened_by_two_processes_sees_the_other_ones_writes(
        project: Project, tmp_path: Path) -> None:
    script = ("import sys\nfrom genloom.core.project import Project\n"
              "p = Project.open(sys.argv[1])\n"
              "p.add_asset(b'from another process', kind='text', suffix='.txt', prompt='elsewhere')\n"
              "p.jobs.enqueue('text.gen', {}, seed=1)\np.close()\n")
    subprocess.run([sys.executable, "-c", script, str(project.path)], check=True, timeout=60)
    assert [a.prompt for a in project.search("elsewhere")] == ["elsewhere"]
    assert len(project.jobs.list(states=["queued"])) == 1
