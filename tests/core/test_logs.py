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


def test_the_app_log_rotates_past_its_size_and_keeps_a_bounded_number(tmp_path):
    import logging

    from genloom.core.logs import KEEP_LOGS, _RotatingLog

    tmp_path = tmp_path / "logs"
    tmp_path.mkdir()
    handler = _RotatingLog(tmp_path / "app.log", max_bytes=1000)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("genloom.test.rotation")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        for i in range(200):
            logger.warning("line %03d %s", i, "x" * 40)
    finally:
        logger.removeHandler(handler)
        handler.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["app.log", *(f"app.log.{n}" for n in range(1, KEEP_LOGS + 1))]
    sizes = [(tmp_path / name).stat().st_size for name in names]
    assert all(size <= 1000 + 60 for size in sizes), sizes  # one line past the limit at most
    assert (tmp_path / "app.log").read_text().splitlines()[-1].startswith("line 199 ")
    newest_rotated = (tmp_path / "app.log.1").read_text().splitlines()
    current = (tmp_path / "app.log").read_text().splitlines()
    assert int(newest_rotated[-1].split()[1]) + 1 == int(current[0].split()[1])  # nothing lost between
