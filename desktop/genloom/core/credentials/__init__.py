"""Content credentials (C2PA): what Genloom signs into exported files, and checks in any file.

- :mod:`.keys`: the installation's signing certificate and the roots it trusts.
- :mod:`.manifest`: the manifest definition for an export (actions, model, recipe, ingredients).
- :mod:`.signing`: signing a file in place of another, or a sidecar manifest.
- :mod:`.verify`: reading a file's credentials back: valid, tampered or absent, and who signed.
- :mod:`.xmp`: XMP ``DigitalSourceType`` for JPEG and WebP (PNG gets it as a text chunk).
- :mod:`.watermark`: the optional invisible watermark in an image's pixels.

``c2pa``, ``cryptography``, ``pyexiv2`` and ``cv2`` load only inside the functions that use them.
"""
