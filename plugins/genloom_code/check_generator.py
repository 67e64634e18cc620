"""``code.check``: store a piece of code (a block from a chat answer) as a code asset, with the
parse check in its metadata. No model; the source the code came from is an optional input,
so the code asset's lineage leads back to it."""

from __future__ import annotations

from typing import Any

from genloom.sdk import ModelRef, Output, Request, RunState
from genloom_code.checks import SUFFIXES, check_code


class CheckGenerator:
    """Checks the code and returns it as the output (one step: nothing to stream)."""

    def load(self, model: ModelRef | None, device: str, dtype: str) -> None:
        """Nothing to load."""

    def run(self, request: Request, state: RunState) -> list[Output]:
        code, language = request.params["code"], request.params["language"]
        check = check_code(code, language)
        source = request.inputs.get("source")
        metadata: dict[str, Any] = {"language": language, "mode": "check", **check}
        if source is not None:
            metadata["source_asset"] = source.asset_id
        state.progress(1, 1, check.get("check_message", f"syntax: {check['syntax']}"))
        return [Output(kind="code", text=code, suffix=SUFFIXES[language], metadata=metadata)]

    def unload(self) -> None:
        """Nothing to unload."""
