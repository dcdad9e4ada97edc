"""Build runout's optional C kernels (the rest of the build is in pyproject.toml).

``sequencer._iir`` makes the meters and the vinyl processing three to four times
faster at filtering; ``sequencer._dither`` dithers and rounds the output in one
pass; ``sequencer._truepeak`` scans for the true peak. All are optional: without
a C compiler the install goes on and runout uses scipy and numpy instead, with
bit-identical results (see sequencer/compiled.py).
"""

import sys

from setuptools import Extension, setup

# No fused multiply-add: the kernels must round exactly as scipy's loops do.
FLAGS = [] if sys.platform == "win32" else ["-O2", "-ffp-contract=off"]

setup(
    ext_modules=[
        Extension(name, [f"{name.replace('.', '/')}.c"], extra_compile_args=FLAGS, optional=True)
        for name in ("sequencer._iir", "sequencer._dither", "sequencer._truepeak")
    ]
)
