"""The allocator setting that lets the engines reuse freed blocks (glibc only)."""

from __future__ import annotations

import platform
import subprocess
import sys
import textwrap

import pytest

FAULTS = textwrap.dedent(
    """
    import resource
    import numpy as np
    from sequencer.allocator import keep_freed_blocks

    def faults_per_block():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(50):
            # A block's temporaries: several MiB-sized arrays alive at once, then freed.
            blocks = [np.ones((65536, 2)) for _ in range(8)]
            del blocks
        return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / (50 * 8)

    fresh = faults_per_block()
    taken = keep_freed_blocks()
    print(fresh, faults_per_block(), taken)
    """
)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_freed_blocks_are_reused_instead_of_mapped_again() -> None:
    # In a fresh interpreter glibc hands the freed top of the heap back to the kernel,
    # so every 1 MiB block is faulted in afresh (256 pages of 4 KiB); with the setting
    # the freed blocks are reused.
    result = subprocess.run(
        [sys.executable, "-c", FAULTS], capture_output=True, text=True, check=True
    )
    fresh, after, taken = result.stdout.split()
    assert taken == "True"
    assert float(fresh) > 200
    assert float(after) < 10
