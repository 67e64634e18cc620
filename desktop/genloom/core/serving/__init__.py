"""The local API's rules: its token, where it may listen, its limits, the job event
hub its streams read, and how OpenAI-style requests become Genloom jobs.

The HTTP layer (:mod:`genloom.api`) asks these; it restates none of them.
"""
