"""Log files stay bounded: rotation of the worker log and the app log."""

from __future__ import annotations

from genloom.core.jobs.engine import Engine
from genloom.core.logs import rotate


def test_rotate_shifts_old_files_and_keeps_a_bounded_number(tmp_path):
    log = tmp_path / "worker.log"
    for generation in range(5):
        log.write_bytes(str(generation).encode() * 100)
        assert rotate(log, max_bytes=50, keep=3)
    assert not log.exists()
    assert [(tmp_path / f"worker.log.{i}").read_bytes()[:1] for i in (1, 2, 3)] == [b"4", b"3", b"2"]
    assert not (tmp_path / "worker.log.4").exists()
    log.write_bytes(b"small")
    assert not rotate(log, max_bytes=50, keep=3) and log.read_bytes() == b"small"


def test_a_large_worker_log_is_rotated_when_a_worker_starts(fixture_plugins, genloom_project,
                                                            genloom_home):
    from genloom.core.logs import MAX_LOG_BYTES

    log = genloom_home / "logs" / "worker.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_bytes(b"x" * (MAX_LOG_BYTES + 1))
    engine = Engine(genloom_project, fixture_plugins).start()
    try:
        (job,) = engine.submit("gltest_basic.misbehave", {"how": "print"}, seed=1)
        (job,) = engine.wait([job.id], timeout=60)
    finally:
        engine.stop()
    assert (genloom_home / "logs" / "worker.log.1").stat().st_size == MAX_LOG_BYTES + 1
    assert log.stat().st_size < MAX_LOG_BYTES
