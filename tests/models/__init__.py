"""Model-zoo tests (torchvision); the model list is zoo.py."""
