"""Language-model support shared by the text and code plugins: not a plugin itself.

The generator base class (model folder checks, tokenizer, torch and ONNX Runtime
backends, streaming with stop sequences, token healing), the sampling parameters
and the training and ONNX export scripts. Plugins may import it as they would any
library; it imports only ``genloom.sdk`` from Genloom and no plugin package
(``tests/test_import_hygiene.py`` holds both lines), so neither plugin reaches
into the other's internals.
"""

__version__ = "0.1.0"
