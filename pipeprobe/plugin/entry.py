"""pytest's entry point for pipeprobe (named ``pipeprobe``): light on purpose.

Every pytest run in an environment with pipeprobe installed loads this module, so it imports
nothing heavy. It adds the options (``pipeprobe.plugin.options``) and, only in a project that opts in
with ``[tool.pipeprobe]``, registers the probe plugin (``pipeprobe.plugin.probes``); elsewhere it
reads no file and imports neither torch, transformers nor pipeprobe's own machinery.
"""

from __future__ import annotations

import pytest

PROBE_PLUGIN = "pipeprobe-probes"


def pytest_addoption(parser: pytest.Parser) -> None:
    from pipeprobe.plugin.options import add_options

    add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    from pipeprobe import paths
    from pipeprobe.plugin.project import project_for

    try:  # a split --model-map keeps pytest from finding the ini, and so the project: checked first
        paths.check_option_paths(config.invocation_params.args, None, None)
    except paths.OptionPathError as error:
        raise pytest.UsageError(str(error)) from None
    if not project_for(config).enabled:
        return
    from pipeprobe.plugin import probes as plugin

    if not config.pluginmanager.is_registered(plugin):
        config.pluginmanager.register(plugin, PROBE_PLUGIN)
