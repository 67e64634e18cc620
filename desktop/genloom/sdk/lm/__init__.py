"""The SDK's language-model layer: what a plugin needs to run a causal language model.

The generator base class (model folder checks, tokenizer, torch and ONNX Runtime
backends, streaming with stop sequences, token healing) and the sampling parameters,
used by the built-in text, code and music generators and open to any plugin. torch,
transformers and onnxruntime are imported only when a model loads; like the rest of
the SDK it imports nothing of ``genloom.core`` and no plugin package
(``tests/test_import_hygiene.py``). The training loop and ONNX export script that
write such model folders live in ``tools/lm_training/`` of a source checkout.
"""
