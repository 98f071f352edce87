"""pipeprobe: pytest probes that pin down how Hugging Face transformers models behave."""

__version__ = "0.1.0"
