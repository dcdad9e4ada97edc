"""Keep freed audio blocks in the process instead of handing them back to the kernel.

The streaming engines allocate and free many short-lived arrays of about a
megabyte per block (a 65536-frame stereo block of float64 is 1 MiB). glibc's
malloc serves allocations above its mmap threshold (128 KiB to start with, and
per thread arena) with fresh ``mmap`` calls and returns them with ``munmap`` on
free, so every temporary costs page faults and zeroed pages from the kernel:
on the vinyl benchmark that was a sixth of the CPU time, in the kernel. Raising
the threshold lets freed blocks be reused from the heap. Peak memory grows by
a few freed blocks per thread (about 15 MB on the vinyl benchmark), and stays
flat with programme length.

Only glibc has ``mallopt``; elsewhere this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import threading

#: glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: Allocations up to this size come from the heap and are reused after free.
MMAP_THRESHOLD_BYTES = 64 * 1024 * 1024
#: Free memory at the heap's top kept before it is returned to the kernel.
TRIM_THRESHOLD_BYTES = 256 * 1024 * 1024

_lock = threading.Lock()
_done = False


def keep_freed_blocks() -> bool:
    """Let freed block-sized arrays be reused instead of unmapped (once per process).

    Returns
    -------
    bool
        True when the allocator took the settings (glibc), False elsewhere.
    """
    global _done
    with _lock:
        if _done:
            return True
        if not sys.platform.startswith("linux"):
            return False
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            mallopt = libc.mallopt
        except (OSError, AttributeError):  # musl and others: no mallopt
            return False
        mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
        mallopt.restype = ctypes.c_int
        _done = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(
            mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
        )
        return _done
