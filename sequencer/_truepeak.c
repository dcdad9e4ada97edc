/*
 * runout's true-peak scan: the largest magnitude of a block and of its
 * oversampled values, for sequencer.truepeak.TruePeakMeter.
 *
 * The block's windows are interpolated only in chunks whose samples could beat
 * the peak (the meter's bound: the largest magnitude under the filter times the
 * largest L1 norm of its phases), as the meter's numpy code does. Each
 * interpolated value is
 *
 *   y = phase[0] * x[w] + phase[1] * x[w + 1] + ... + phase[TAPS - 1] * x[w + TAPS - 1]
 *
 * summed from the first tap to the last, without fused multiply-add (the build
 * turns contraction off): the numpy code sums in the same order, so the peak
 * does not depend on whether this module was compiled. The GIL is released.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>

typedef double v2d __attribute__((vector_size(16)));

static double chunk_max(const double *x, Py_ssize_t start, Py_ssize_t stop)
{
    double m = 0.0;
    for (Py_ssize_t i = start; i < stop; i++) {
        double a = fabs(x[i]);
        m = a > m ? a : m;
    }
    return m;
}

/* The largest |y| over the windows first .. last - 1, every phase. */
static double interpolate(const double *x, Py_ssize_t first, Py_ssize_t last,
                          const double *phases, Py_ssize_t count, Py_ssize_t taps)
{
    double m = 0.0;
    for (Py_ssize_t p = 0; p < count; p++) {
        const double *h = phases + p * taps;
        Py_ssize_t w = first;
        for (; w + 1 < last; w += 2) { /* two windows in the two lanes */
            v2d acc = (v2d){h[0], h[0]} * (v2d){x[w], x[w + 1]};
            for (Py_ssize_t k = 1; k < taps; k++) {
                acc += (v2d){h[k], h[k]} * (v2d){x[w + k], x[w + k + 1]};
            }
            double a = fabs(acc[0]), b = fabs(acc[1]);
            m = a > m ? a : m;
            m = b > m ? b : m;
        }
        for (; w < last; w++) {
            double acc = h[0] * x[w];
            for (Py_ssize_t k = 1; k < taps; k++) {
                acc += h[k] * x[w + k];
            }
            double a = fabs(acc);
            m = a > m ? a : m;
        }
    }
    return m;
}

static double scan(const double *x, Py_ssize_t length, Py_ssize_t windows, const double *phases,
                   Py_ssize_t count, Py_ssize_t taps, Py_ssize_t chunk, double gain_bound,
                   double peak, Py_ssize_t *interpolated)
{
    /* The samples first: the bound is tested against the peak after them. */
    double threshold = peak;
    double block = chunk_max(x, 0, length);
    threshold = block > threshold ? block : threshold;
    double best = threshold;
    Py_ssize_t chunks = (windows + chunk - 1) / chunk;
    double here = chunk_max(x, 0, chunk < length ? chunk : length);
    for (Py_ssize_t c = 0; c < chunks; c++) {
        Py_ssize_t next_start = (c + 1) * chunk;
        Py_ssize_t next_stop = next_start + chunk < length ? next_start + chunk : length;
        double next = next_start < length ? chunk_max(x, next_start, next_stop) : 0.0;
        double bound = (here > next ? here : next) * gain_bound;
        if (bound > threshold) {
            Py_ssize_t last = next_start < windows ? next_start : windows;
            double m = interpolate(x, c * chunk, last, phases, count, taps);
            best = m > best ? m : best;
            *interpolated += chunk;
        }
        here = next;
    }
    return best;
}

PyDoc_STRVAR(scan_doc,
             "scan(x, windows, phases, count, taps, chunk, gain_bound, peak)\n\n"
             "Return (peak, interpolated): the largest of peak, |x| and the interpolated\n"
             "values of windows 0 .. windows - 1 (window w is x[w : w + taps]) through the\n"
             "phases (count, taps), and how many windows' chunks were interpolated.");

static PyObject *py_scan(PyObject *self, PyObject *args)
{
    Py_buffer x, phases;
    Py_ssize_t windows, count, taps, chunk;
    double gain_bound, peak;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*ny*nnndd", &x, &windows, &phases, &count, &taps, &chunk,
                          &gain_bound, &peak)) {
        return NULL;
    }
    PyObject *result = NULL;
    Py_ssize_t length = x.len / (Py_ssize_t)sizeof(double);
    if (count < 1 || taps < 1 || chunk < taps || windows < 0 || windows + taps - 1 > length ||
        phases.len != count * taps * (Py_ssize_t)sizeof(double)) {
        PyErr_SetString(PyExc_ValueError, "scan: bad sizes");
    }
    else {
        Py_ssize_t interpolated = 0;
        double best;
        Py_BEGIN_ALLOW_THREADS
        best = scan((const double *)x.buf, length, windows, (const double *)phases.buf, count,
                    taps, chunk, gain_bound, peak, &interpolated);
        Py_END_ALLOW_THREADS
        result = Py_BuildValue("dn", best, interpolated);
    }
    PyBuffer_Release(&x);
    PyBuffer_Release(&phases);
    return result;
}

static PyMethodDef methods[] = {
    {"scan", py_scan, METH_VARARGS, scan_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_truepeak",
    "True-peak scan of a block, the same peak as runout's numpy true-peak meter.", -1, methods,
};

PyMODINIT_FUNC PyInit__truepeak(void) { return PyModule_Create(&module); }
