"""How the API words the remedies that errors name (see genloom.sdk.errors.Remedy)."""

from __future__ import annotations

from genloom.sdk.errors import Phrasebook

#: One sentence per remedy action; ``{subject}`` is the input role or folder it applies to.
API_PHRASES: Phrasebook = {
    "give_input": 'Give one in the request\'s "inputs", like {{"{subject}": ASSET_ID}}.',
    "create_project": "Create the project {subject} first (the app or the command line can).",
    "check_project": "The project needs checking: the app's Project > Check, or the command line's "
                     "project check, lists what is damaged and mends what it can.",
    "list_assets": "GET /api/assets lists the assets with their ids.",
    "list_jobs": "GET /api/jobs lists the queue with the job ids.",
    "list_generators": "GET /api/generators lists them all.",
    "list_plugins": "GET /api/plugins shows which plugins failed and why.",
    "list_conversations": "Conversations are not served by the API; the app and the command line list them.",
    "enable_plugin": "Enable the plugin {subject} (the app's Tools > Plugins, or the command line's plugins "
                     "enable) and restart the API.",
    "list_models": "The model library (the app's Tools > Model library, or the command line's models list) "
                   "lists the models with their kinds.",
}
