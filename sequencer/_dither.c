/*
 * runout's output quantiser: TPDF dither and rounding to 16 or 24-bit integers.
 *
 * The same arithmetic, in the same order, as the numpy code of
 * sequencer.render._Encoder (which runs when this module was not compiled), so
 * the samples are the same to the last bit; one pass instead of nine:
 *
 *   q = floor((mix * scale + (u0 - u1) / 65536) + 0.5), clipped to [-scale, scale - 1]
 *
 * where u0 and u1 are the frame's two 16-bit uniforms for the channel (the
 * frame's 64-bit random word seen as four uint16: channel c takes the words
 * 2c and 2c + 1). 24-bit samples are returned in the top of an int32, as
 * libsndfile expects, or as three little-endian bytes, as runout's own WAV
 * writer (sequencer.wavfile) stores them. The build turns off floating-point
 * contraction.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>

static int check_buffer(Py_buffer *view, Py_ssize_t bytes, const char *name)
{
    if (view->len != bytes) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zd bytes, got %zd", name, bytes, view->len);
        return -1;
    }
    return 0;
}

/* floor(q) clipped to [low, high] (whole numbers), as numpy's floor then clip, and
 * without branches (the sign of a dithered fraction is random, so a branch would be
 * mispredicted half the time): q is first held within one of the rails, where
 * truncation is exact, then truncated and corrected for negative fractions. */
static inline int32_t floor_clipped(double q, double low, double high)
{
    q = q < low - 1.0 ? low - 1.0 : q;
    q = q > high + 1.0 ? high + 1.0 : q;
    int64_t n = (int64_t)q;
    n -= (int64_t)((double)n > q);
    n = n < (int64_t)low ? (int64_t)low : n;
    return (int32_t)(n > (int64_t)high ? (int64_t)high : n);
}

static void quantise(const double *mix, const uint16_t *uniform, Py_ssize_t frames, int bits,
                     int packed, void *out)
{
    const double scale = (double)(1L << (bits - 1));
    const double low = -scale, high = scale - 1.0;
    for (Py_ssize_t i = 0; i < 2 * frames; i++) {
        /* Sample i is frame i / 2, channel i % 2: its uniforms are words 2i and 2i + 1. */
        double dither = ((double)uniform[2 * i] - (double)uniform[2 * i + 1]) * (1.0 / 65536.0);
        double q = mix[i] * scale;
        q += dither;
        q += 0.5;
        int32_t value = floor_clipped(q, low, high);
        if (bits == 16) {
            ((int16_t *)out)[i] = (int16_t)value;
        }
        else if (packed) { /* three little-endian bytes, as a WAV file holds them */
            uint8_t *bytes = (uint8_t *)out + 3 * i;
            bytes[0] = (uint8_t)(value & 0xff);
            bytes[1] = (uint8_t)((value >> 8) & 0xff);
            bytes[2] = (uint8_t)((value >> 16) & 0xff);
        }
        else {
            ((int32_t *)out)[i] = (int32_t)((uint32_t)value << 8);
        }
    }
}

PyDoc_STRVAR(quantise_doc,
             "quantise(mix, uniform, out, frames, bits, packed)\n\n"
             "Dither and round mix (frames, 2) float64 into out: int16 (frames, 2) for 16\n"
             "bits; for 24 bits int32 (frames, 2) holding the samples in its top, or when\n"
             "packed three little-endian bytes per sample (frames, 2, 3).\n"
             "uniform holds one 64-bit random word per frame.");

static PyObject *py_quantise(PyObject *self, PyObject *args)
{
    Py_buffer mix, uniform, out;
    Py_ssize_t frames;
    int bits, packed;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*w*nip", &mix, &uniform, &out, &frames, &bits, &packed)) {
        return NULL;
    }
    PyObject *result = NULL;
    Py_ssize_t width = bits == 16 ? 2 : (packed ? 3 : 4);
    if ((bits != 16 && bits != 24) || frames < 0) {
        PyErr_SetString(PyExc_ValueError, "quantise: bits must be 16 or 24");
    }
    else if (check_buffer(&mix, frames * 2 * 8, "mix") == 0 &&
             check_buffer(&uniform, frames * 8, "uniform") == 0 &&
             check_buffer(&out, frames * 2 * width, "out") == 0) {
        Py_BEGIN_ALLOW_THREADS
        quantise((const double *)mix.buf, (const uint16_t *)uniform.buf, frames, bits, packed,
                 out.buf);
        Py_END_ALLOW_THREADS
        result = Py_None;
        Py_INCREF(result);
    }
    PyBuffer_Release(&mix);
    PyBuffer_Release(&uniform);
    PyBuffer_Release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"quantise", py_quantise, METH_VARARGS, quantise_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_dither",
    "TPDF dither and rounding to 16 or 24-bit, bit-identical to runout's numpy encoder.", -1,
    methods,
};

PyMODINIT_FUNC PyInit__dither(void) { return PyModule_Create(&module); }
