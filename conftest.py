"""Loads the pipeprobe plugin when the package is not installed as a pytest entry point."""

pytest_plugins = ["pipeprobe.plugin"]
