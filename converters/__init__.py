"""Converters: torch op -> TensorRT layers (import name trtconv.converters)."""
