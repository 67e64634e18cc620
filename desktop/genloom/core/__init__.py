"""The engine: plugin manager, project store, job queue and worker, settings.

Nothing here imports Qt, and nothing imports torch or the model libraries at
module level: those load in the worker process when a model loads.
"""
