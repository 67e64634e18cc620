"""Video generators: text-to-video, image-to-video and animatics.

The entry module (``plugin.py``) is cheap to import; diffusers, torch, PyAV and
OpenCV load only inside a generator's ``load`` or ``run``.
"""

__version__ = "0.1.0"
