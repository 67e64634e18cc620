"""Audio generators: music (symbolic, rendered through a soundfont) and speech.

The entry module (``plugin.py``) is cheap to import; torch, transformers,
soundfile and the synthesiser load only inside a generator's ``load`` or ``run``.
"""

__version__ = "0.1.0"
