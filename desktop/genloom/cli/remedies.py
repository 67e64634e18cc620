"""How the command line words the remedies that errors name (see genloom.sdk.errors.Remedy)."""

from __future__ import annotations

from genloom.sdk.errors import Phrasebook

#: One sentence per remedy action; ``{subject}`` is the input role or folder it applies to.
CLI_PHRASES: Phrasebook = {
    "give_input": "Give one with --input {subject}=ASSET_ID.",
    "create_project": "Create one with `genloom project new {subject}`.",
    "check_project": "`genloom project check` lists what is damaged, and `--repair` mends what it can.",
    "list_assets": "`genloom assets` lists the assets with their ids.",
    "list_jobs": "`genloom jobs` lists the queue with the job ids.",
    "list_generators": "`genloom generators` lists them all.",
    "list_plugins": "`genloom plugins` shows which plugins failed and why.",
    "list_conversations": "`genloom conversations` lists them with their ids.",
    "enable_plugin": "Enable it with `genloom plugins enable {subject}`.",
    "list_models": "`genloom models list` lists the models with their kinds.",
}
