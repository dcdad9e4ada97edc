"""runout's optional compiled kernels, and whether this installation has them.

``sequencer._iir`` (IIR filters), ``sequencer._dither`` (output quantiser) and
``sequencer._truepeak`` (true-peak scan) are C extensions built by ``setup.py``
when a C compiler is present. Each has a numpy or scipy twin that gives the same
result to the last bit, used when the kernel is missing, so a render never
depends on how runout was installed.
"""

from __future__ import annotations

import importlib
from typing import Any

#: The compiled modules runout looks for.
KERNELS = ("sequencer._iir", "sequencer._dither", "sequencer._truepeak")


def load(name: str) -> Any:
    """Return the compiled module ``name``, or None when it was not built."""
    try:
        return importlib.import_module(name)
    except ImportError:  # no C compiler when runout was installed: the fallback runs
        return None


def missing() -> list[str]:
    """Return the compiled modules this installation lacks (empty when all were built)."""
    return [name for name in KERNELS if load(name) is None]
