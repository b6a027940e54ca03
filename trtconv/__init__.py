"""trtconv: convert PyTorch models to TensorRT by tracing."""
