"""Loads pipeprobe's pytest entry when the package is not installed with its pytest11 entry point."""

from importlib.metadata import entry_points

pytest_plugins = [] if entry_points(group="pytest11", name="pipeprobe") else ["pipeprobe.plugin.entry"]
