"""Parse and check the ``--device`` and ``--dtype`` options before any test runs.

torch is imported only where a device must be asked about (auto, cuda, mps) or a model loads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DTYPES = ("float32", "float16", "bfloat16")
_DEVICE_PATTERN = re.compile(r"^(cpu|auto|mps|cuda(?::\d+)?)$")


class DeviceError(ValueError):
    """A device or dtype that this machine cannot honour; its message is one line."""


@dataclass(frozen=True)
class Target:
    """Where models run: a concrete torch device string and a dtype name."""

    device: str
    dtype: str

    @property
    def device_type(self) -> str:
        return self.device.split(":", 1)[0]

    def torch_dtype(self):  # noqa: ANN201 - torch is imported lazily
        import torch

        return getattr(torch, self.dtype)


def device_name(device: str) -> str:
    """A human name for the device: the GPU model for CUDA, else the device string."""
    if device.startswith("cuda"):
        import torch

        return torch.cuda.get_device_name(torch.device(device))
    return device


def resolve_target(device: str, dtype: str) -> Target:
    """Turn option values into a concrete target, or raise DeviceError saying why not."""
    if dtype not in DTYPES:
        raise DeviceError(f"unknown --dtype {dtype!r}: choose one of {', '.join(DTYPES)}")
    if not _DEVICE_PATTERN.match(device):
        raise DeviceError(
            f"unknown --device {device!r}: use cpu, auto, cuda, cuda:N or mps"
        )
    if device == "cpu":  # nothing to ask torch: start-up stays free of it until a model loads
        return Target(device=device, dtype=dtype)
    import torch

    if device == "auto":
        if torch.cuda.is_available():
            device = "cuda:0"
        elif _mps_available():
            device = "mps"
        else:
            device = "cpu"
    elif device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceError(
                f"--device {device} asked for CUDA, but torch {torch.__version__} "
                "sees no CUDA device on this machine"
            )
        index = int(device.split(":", 1)[1]) if ":" in device else 0
        count = torch.cuda.device_count()
        if index >= count:
            raise DeviceError(
                f"--device {device}: this machine has {count} CUDA device(s), "
                f"numbered 0 to {count - 1}"
            )
        device = f"cuda:{index}"
    elif device == "mps" and not _mps_available():
        raise DeviceError("--device mps asked for Apple's MPS, which is not available here")
    return Target(device=device, dtype=dtype)


def _mps_available() -> bool:
    import torch

    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())
