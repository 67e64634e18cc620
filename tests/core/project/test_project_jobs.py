"""The job queue: order, claims, cancel, move, retry, orphan recovery, persistence."""

from __future__ import annotations

import time

import pytest

from genloom.core.project import AssetNotFoundError, Job, JobNotFoundError, JobStateError, Project


def _queue(project: Project, n: int, batch: str = "") -> list[Job]:
    return [project.jobs.enqueue("image.t2i", {"prompt": f"job {i}"}, seed=i, batch=batch)
            for i in range(n)]


def _age_heartbeat(project: Project, job_id: int, seconds: float) -> None:
    with project._db.transaction() as conn:
        conn.execute("UPDATE jobs SET heartbeat = ? WHERE id = ?", (time.time() - seconds, job_id))


def test_enqueue_records_the_recipe_at_the_end_of_the_queue(project: Project) -> None:
    image = project.add_asset(b"init", kind="image", suffix=".png")
    first = project.jobs.enqueue("image.t2i", {"steps": 4}, seed=None)
    job = project.jobs.enqueue("image.i2i", {"strength": 0.5}, seed=123,
                               inputs={"init_image": image.id}, model={"id": "tiny"},
                               device="cpu", plugin_version="1.2", batch="b1")
    assert job.position > first.position
    assert project.jobs.get(job.id) == job
    assert (job.state, job.generator_id, job.params, job.seed) == (
        "queued", "image.i2i", {"strength": 0.5}, 123)
    assert (job.inputs, job.model, job.device, job.plugin_version, job.batch) == (
        {"init_image": image.id}, {"id": "tiny"}, "cpu", "1.2", "b1")
    assert (job.attempts, job.owner, job.started, job.cancel_requested) == (0, "", None, False)


def test_enqueue_refuses_an_input_asset_that_does_not_exist(project: Project) -> None:
    with pytest.raises(AssetNotFoundError, match="no asset with id 77"):
        project.jobs.enqueue("image.i2i", {}, seed=1, inputs={"init_image": 77})
    assert project.jobs.list() == []


def test_enqueue_holds_seeds_to_the_sdks_one_rule(project: Project) -> None:
    with pytest.raises(ValueError, match=r"seed: 4294967296 is not a whole number from 0 to 4294967295"):
        project.jobs.enqueue("image.t2i", {}, seed=2**32)
    with pytest.raises(ValueError, match=r"seed: 4294967295 with count 2 would need seeds past"):
        project.jobs.enqueue("image.t2i", {}, seed=2**32 - 1, seed_count=2)


def test_a_job_of_several_seeds_keeps_them_through_a_retry(project: Project) -> None:
    job = project.jobs.enqueue("image.t2i", {}, seed=40, seed_count=3)
    assert project.jobs.get(job.id).seeds == (40, 41, 42)
    project.jobs.cancel(job.id)
    assert project.jobs.retry(job.id).seeds == (40, 41, 42)


def test_get_of_an_unknown_job_names_it(project: Project) -> None:
    with pytest.raises(JobNotFoundError, match="no job with id 9"):
        project.jobs.get(9)


def test_claims_follow_queue_order(project: Project) -> None:
    jobs = _queue(project, 3)
    claimed = [project.jobs.claim_next("engine-a") for _ in range(4)]
    assert [j.id if j else None for j in claimed] == [jobs[0].id, jobs[1].id, jobs[2].id, None]
    first = claimed[0]
    assert first is not None
    assert (first.state, first.owner, first.attempts) == ("running", "engine-a", 1)
    assert first.started is not None and first.heartbeat == first.started


def test_claim_within_a_scope_only_takes_those_jobs(project: Project) -> None:
    jobs = _queue(project, 3)
    job = project.jobs.claim_next("engine", scope={jobs[2].id})
    assert job is not None and job.id == jobs[2].id
    assert project.jobs.claim_next("engine", scope={jobs[2].id}) is None
    assert project.jobs.claim_next("engine", scope=()) is None


def test_finish_and_fail_record_the_outcome(project: Project) -> None:
    a, b = _queue(project, 2)
    project.jobs.claim_next("e")
    project.jobs.claim_next("e")
    done = project.jobs.finish(a.id, [4, 5])
    failed = project.jobs.fail(b.id, "out of memory")
    assert (done.state, done.asset_ids, done.finished is not None) == ("done", (4, 5), True)
    assert (failed.state, failed.error) == ("failed", "out of memory")


def test_finishing_a_job_that_is_not_running_is_refused(project: Project) -> None:
    (job,) = _queue(project, 1)
    with pytest.raises(JobStateError, match=f"cannot finish job {job.id}: it is queued; "
                                            "only running jobs can be finished"):
        project.jobs.finish(job.id, [])


def test_cancel_of_a_queued_job_is_immediate(project: Project) -> None:
    (job,) = _queue(project, 1)
    cancelled = project.jobs.cancel(job.id)
    assert cancelled.state == "cancelled"
    assert project.jobs.claim_next("e") is None


def test_cancel_of_a_running_job_asks_its_engine_through_the_heartbeat(project: Project) -> None:
    _queue(project, 1)
    job = project.jobs.claim_next("engine")
    assert job is not None
    assert project.jobs.heartbeat(job.id, "engine") is False
    requested = project.jobs.cancel(job.id)
    assert (requested.state, requested.cancel_requested) == ("running", True)
    assert project.jobs.heartbeat(job.id, "engine") is True
    assert project.jobs.mark_cancelled(job.id, "stopped at step 3").state == "cancelled"


def test_heartbeat_tells_an_engine_that_lost_its_job_to_stop(project: Project) -> None:
    _queue(project, 1)
    job = project.jobs.claim_next("engine-a")
    assert job is not None
    assert project.jobs.heartbeat(job.id, "engine-b") is True


def test_cancel_of_a_finished_job_is_refused_saying_which_states_allow_it(
        project: Project) -> None:
    (job,) = _queue(project, 1)
    project.jobs.cancel(job.id)
    with pytest.raises(JobStateError, match="it is cancelled; only queued or running jobs can be "
                                            "cancelled"):
        project.jobs.cancel(job.id)


def test_move_reorders_queued_jobs(project: Project) -> None:
    a, b, c, d = _queue(project, 4)
    order = project.jobs.move(d.id, 0)
    assert [j.id for j in order] == [d.id, a.id, b.id, c.id]
    order = project.jobs.move(d.id, 99)
    assert [j.id for j in order] == [a.id, b.id, c.id, d.id]
    project.jobs.move(a.id, 2)
    assert [j.id for j in project.jobs.list(states=["queued"])] == [b.id, c.id, a.id, d.id]
    claimed = project.jobs.claim_next("e")
    assert claimed is not None and claimed.id == b.id


def test_move_of_a_running_job_is_refused(project: Project) -> None:
    _queue(project, 2)
    job = project.jobs.claim_next("e")
    assert job is not None
    with pytest.raises(JobStateError, match="it is running; only queued jobs can be moved"):
        project.jobs.move(job.id, 1)


def test_move_to_a_negative_index_is_refused(project: Project) -> None:
    (job,) = _queue(project, 1)
    with pytest.raises(ValueError, match="index: -1 is not a queue position"):
        project.jobs.move(job.id, -1)


def test_retry_queues_a_new_copy_and_keeps_the_failed_job(project: Project) -> None:
    (job,) = _queue(project, 1)
    project.jobs.claim_next("e")
    failed = project.jobs.fail(job.id, "boom")
    retry = project.jobs.retry(job.id)
    assert retry.id != job.id
    assert (retry.state, retry.retry_of, retry.params, retry.seed) == (
        "queued", job.id, job.params, job.seed)
    assert retry.attempts == 0
    assert project.jobs.get(job.id) == failed


def test_retry_of_a_queued_job_is_refused_naming_the_states_that_allow_it(
        project: Project) -> None:
    (job,) = _queue(project, 1)
    with pytest.raises(JobStateError, match=f"cannot retry job {job.id}: it is queued; only "
                                            "failed or cancelled jobs can be retried"):
        project.jobs.retry(job.id)


def test_recover_orphans_requeues_once_then_fails(project: Project) -> None:
    (job,) = _queue(project, 1)
    project.jobs.claim_next("dead-engine")
    _age_heartbeat(project, job.id, 60)
    (requeued,) = project.jobs.recover_orphans(stale_after=30)
    assert (requeued.state, requeued.owner, requeued.position) == ("queued", "", job.position)
    project.jobs.claim_next("dead-again")
    _age_heartbeat(project, job.id, 60)
    (failed,) = project.jobs.recover_orphans(stale_after=30)
    assert failed.state == "failed"
    assert failed.error == ("interrupted twice while running (the process running it stopped); "
                            "not retried again")


def test_recover_orphans_leaves_jobs_with_a_fresh_heartbeat(project: Project) -> None:
    _queue(project, 1)
    project.jobs.claim_next("alive")
    assert project.jobs.recover_orphans(stale_after=30) == []


def test_recover_orphans_marks_a_job_cancelled_if_cancel_was_requested(project: Project) -> None:
    (job,) = _queue(project, 1)
    project.jobs.claim_next("dead-engine")
    project.jobs.cancel(job.id)
    _age_heartbeat(project, job.id, 60)
    (cancelled,) = project.jobs.recover_orphans(stale_after=30)
    assert cancelled.state == "cancelled"


def test_list_shows_running_then_queued_in_order_then_finished_newest_first(
        project: Project) -> None:
    a, b, c, d = _queue(project, 4)
    project.jobs.claim_next("e")  # a
    project.jobs.finish(a.id, [])
    project.jobs.cancel(c.id)
    project.jobs.claim_next("e")  # b
    e = project.jobs.enqueue("x.y", {}, seed=None)
    assert [j.id for j in project.jobs.list()] == [b.id, d.id, e.id, c.id, a.id]
    assert [j.id for j in project.jobs.list(states=["done", "cancelled"])] == [c.id, a.id]


def test_list_filters_by_batch_and_refuses_unknown_states(project: Project) -> None:
    _queue(project, 2, batch="one")
    other = _queue(project, 1, batch="two")
    assert [j.id for j in project.jobs.list(batch="two")] == [other[0].id]
    with pytest.raises(ValueError, match="states: 'paused' is not a job state"):
        project.jobs.list(states=["paused"])


def test_every_job_change_emits_job_changed(project: Project,
                                            recorded: dict[str, list]) -> None:
    a, b = _queue(project, 2)
    project.jobs.move(b.id, 0)
    project.jobs.claim_next("e")
    project.jobs.cancel(b.id)
    project.jobs.mark_cancelled(b.id)
    states = [(j.id, j.state, j.cancel_requested) for j in recorded["job_changed"]]
    assert states == [(a.id, "queued", False), (b.id, "queued", False),
                      (b.id, "queued", False), (a.id, "queued", False),
                      (b.id, "running", False), (b.id, "running", True),
                      (b.id, "cancelled", True)]


def test_the_queue_survives_close_and_reopen_in_order(project: Project) -> None:
    a, b, c = _queue(project, 3)
    project.jobs.move(c.id, 0)
    project.close()
    with Project.open(project.path) as again:
        assert [j.id for j in again.jobs.list()] == [c.id, a.id, b.id]
        assert all(j.state == "queued" for j in again.jobs.list())
