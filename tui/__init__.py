"""The faces of runout: the ``runout`` command line and the Textual app."""

import os

# runout parallelises across processes (one per track); BLAS threads on top of
# that only spin against them. Set here, before numpy is imported by the faces.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
