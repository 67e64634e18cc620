"""How the app words the remedies that errors name (see genloom.sdk.errors.Remedy)."""

from __future__ import annotations

from genloom.sdk.errors import Phrasebook, explain

#: One sentence per remedy action; ``{subject}`` is the input role or folder it applies to.
APP_PHRASES: Phrasebook = {
    "give_input": "Choose one in the form's {subject!r} slot: select it in the gallery and press "
                  "Use selected, or drop it there.",
    "create_project": "Create one there with File ▸ New or open project….",
    "check_project": "The project check (`genloom project check` in a terminal) lists what is damaged "
                     "and mends what it can.",
    "list_assets": "The gallery lists the assets there are.",
    "list_jobs": "The queue lists the jobs there are.",
    "list_generators": "The generator picker lists them all.",
    "list_plugins": "Tools ▸ Plugins… shows which plugins failed and why.",
    "list_conversations": "The Chat tab lists the conversations of this project.",
    "enable_plugin": "Enable the plugin {subject} in Tools ▸ Plugins….",
    "list_models": "Tools ▸ Model library… lists the models with their kinds.",
}


def app_message(exc: BaseException) -> str:
    """``exc``'s message with its remedy in the app's words."""
    return explain(exc, APP_PHRASES)
