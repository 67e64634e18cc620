"""The dtype setting: validated with a clear error, carried to the worker, applied per device."""

from __future__ import annotations

import json

import pytest

from genloom.core.settings import Settings, SettingsError


def test_an_unknown_dtype_setting_names_the_value_and_the_choices():
    with pytest.raises(SettingsError, match=r"dtype: 'int8' is not a precision; use one of auto, float16, "
                                            r"bfloat16, float32"):
        Settings(dtype="int8").validate()
    with pytest.raises(SettingsError, match=r"dtype: 16 is not a precision"):
        Settings(dtype=16).validate()  # type: ignore[arg-type]


def test_the_dtype_setting_round_trips_and_a_bad_file_is_refused(genloom_home):
    settings = Settings(dtype="bfloat16")
    settings.save()
    assert Settings.load().dtype == "bfloat16"
    data = json.loads(Settings.path().read_text(encoding="utf-8"))
    data["dtype"] = "fp8"
    Settings.path().write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SettingsError, match="dtype: 'fp8'"):
        Settings.load()


def test_the_worker_gets_the_dtype_and_the_memory_budget_and_hands_plugins_the_budget(
        genloom_plugins, genloom_project, monkeypatch):
    from genloom.core.jobs.engine import Engine
    from genloom.core.jobs.worker import Worker
    from genloom.sdk.placement import MEMORY_BUDGET_ENV, memory_budget_bytes

    monkeypatch.delenv(MEMORY_BUDGET_ENV, raising=False)
    engine = Engine(genloom_project, genloom_plugins(modules=[]),
                    Settings(dtype="bfloat16", model_memory_budget_mb=300))
    init = engine.worker_init()  # what the worker process is started with
    assert init["dtype"] == "bfloat16" and init["memory_budget_mb"] == 300
    worker = Worker(events=None)  # type: ignore[arg-type]
    worker.configure(init)
    assert worker.dtype_preference == "bfloat16"
    assert memory_budget_bytes("cuda") == 300 * 1024 * 1024
