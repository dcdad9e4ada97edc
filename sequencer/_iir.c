/*
 * runout's IIR filter kernels: scipy.signal's sosfilt and lfilter, bit for bit.
 *
 * Every meter and the vinyl processing run their audio through IIR filters, and
 * scipy's loops cost about 10 ns a sample whatever the order, because each
 * channel is filtered on its own and the recursion leaves the CPU idle. These
 * kernels filter two channels at once in the two lanes of one SSE2 register
 * (or whatever the compiler's generic vectors map to), which keeps both the
 * rounding and the order of every operation of scipy's own code:
 *
 *   sosfilt (scipy/signal/_sosfilt.pyx), per section:
 *     y  = b0 * x + z0
 *     z0 = (b1 * x - a1 * y) + z1
 *     z1 = b2 * x - a2 * y
 *
 *   lfilter (scipy/signal/lfilter.c.src, direct form II transposed), with b and
 *   a already divided by a[0] and padded to the same length n + 1:
 *     y        = z[0] + b[0] * x
 *     z[k - 1] = (z[k] + x * b[k]) - y * a[k]     for k = 1 .. n - 1
 *     z[n - 1] = x * b[n] - y * a[n]
 *
 * So the output equals scipy's to the last bit (the tests check it) and the
 * Python fallback, used when this module was not compiled, gives the same
 * renders. The build turns off floating-point contraction (fused multiply-add
 * would round differently); the GIL is released while a kernel runs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

typedef double v2d __attribute__((vector_size(16)));

/* Orders up to this have a kernel with the state in registers; longer ones loop. */
#define UNROLLED 8

/* ---- second-order sections -------------------------------------------------- */

/* Lane a runs the sections sa, lane b the sections sb (the same pointer for a
 * stereo pair through one filter). */
#define SOS_PAIR(S)                                                                  \
    static void sos_pair_##S(const double *sa, const double *sb, double *xa, double *xb, \
                             Py_ssize_t n, double *za, double *zb)                   \
    {                                                                                \
        v2d z0[S], z1[S], c0[S], c1[S], c2[S], c4[S], c5[S];                         \
        for (int s = 0; s < S; s++) {                                                \
            const double *ca = sa + 6 * s, *cb = sb + 6 * s;                         \
            z0[s] = (v2d){za[2 * s], zb[2 * s]};                                     \
            z1[s] = (v2d){za[2 * s + 1], zb[2 * s + 1]};                             \
            c0[s] = (v2d){ca[0], cb[0]};                                             \
            c1[s] = (v2d){ca[1], cb[1]};                                             \
            c2[s] = (v2d){ca[2], cb[2]};                                             \
            c4[s] = (v2d){ca[4], cb[4]};                                             \
            c5[s] = (v2d){ca[5], cb[5]};                                             \
        }                                                                            \
        for (Py_ssize_t i = 0; i < n; i++) {                                         \
            v2d x = {xa[i], xb[i]};                                                  \
            for (int s = 0; s < S; s++) {                                            \
                v2d y = c0[s] * x + z0[s];                                           \
                z0[s] = c1[s] * x - c4[s] * y + z1[s];                               \
                z1[s] = c2[s] * x - c5[s] * y;                                       \
                x = y;                                                               \
            }                                                                        \
            xa[i] = x[0];                                                            \
            xb[i] = x[1];                                                            \
        }                                                                            \
        for (int s = 0; s < S; s++) {                                                \
            za[2 * s] = z0[s][0];                                                    \
            za[2 * s + 1] = z1[s][0];                                                \
            zb[2 * s] = z0[s][1];                                                    \
            zb[2 * s + 1] = z1[s][1];                                                \
        }                                                                            \
    }

#define SOS_ONE(S)                                                                          \
    static void sos_one_##S(const double *sos, double *xa, Py_ssize_t n, double *za)       \
    {                                                                                       \
        double z0[S], z1[S];                                                                \
        for (int s = 0; s < S; s++) {                                                       \
            z0[s] = za[2 * s];                                                              \
            z1[s] = za[2 * s + 1];                                                          \
        }                                                                                   \
        for (Py_ssize_t i = 0; i < n; i++) {                                                \
            double x = xa[i];                                                               \
            for (int s = 0; s < S; s++) {                                                   \
                const double *c = sos + 6 * s;                                              \
                double y = c[0] * x + z0[s];                                                \
                z0[s] = c[1] * x - c[4] * y + z1[s];                                        \
                z1[s] = c[2] * x - c[5] * y;                                                \
                x = y;                                                                      \
            }                                                                               \
            xa[i] = x;                                                                      \
        }                                                                                   \
        for (int s = 0; s < S; s++) {                                                       \
            za[2 * s] = z0[s];                                                              \
            za[2 * s + 1] = z1[s];                                                          \
        }                                                                                   \
    }

SOS_PAIR(1) SOS_PAIR(2) SOS_PAIR(3) SOS_PAIR(4) SOS_PAIR(5) SOS_PAIR(6) SOS_PAIR(7) SOS_PAIR(8)
SOS_ONE(1) SOS_ONE(2) SOS_ONE(3) SOS_ONE(4) SOS_ONE(5) SOS_ONE(6) SOS_ONE(7) SOS_ONE(8)

typedef void (*sos_pair_fn)(const double *, const double *, double *, double *, Py_ssize_t,
                            double *, double *);
typedef void (*sos_one_fn)(const double *, double *, Py_ssize_t, double *);
static const sos_pair_fn SOS_PAIRS[UNROLLED + 1] = {
    NULL, sos_pair_1, sos_pair_2, sos_pair_3, sos_pair_4,
    sos_pair_5, sos_pair_6, sos_pair_7, sos_pair_8};
static const sos_one_fn SOS_ONES[UNROLLED + 1] = {
    NULL, sos_one_1, sos_one_2, sos_one_3, sos_one_4, sos_one_5, sos_one_6, sos_one_7, sos_one_8};

/* Any number of sections, one channel, state in memory (slower, same arithmetic). */
static void sos_any(const double *sos, Py_ssize_t sections, double *xa, Py_ssize_t n,
                    double *za)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        double x = xa[i];
        for (Py_ssize_t s = 0; s < sections; s++) {
            const double *c = sos + 6 * s;
            double *z = za + 2 * s;
            double y = c[0] * x + z[0];
            z[0] = c[1] * x - c[4] * y + z[1];
            z[1] = c[2] * x - c[5] * y;
            x = y;
        }
        xa[i] = x;
    }
}

static void sos_channels(const double *sos, Py_ssize_t sections, double *x,
                         Py_ssize_t channels, Py_ssize_t frames, double *zi)
{
    Py_ssize_t channel = 0;
    Py_ssize_t stride = 2 * sections;
    if (sections <= UNROLLED) {
        for (; channel + 1 < channels; channel += 2) {
            SOS_PAIRS[sections](sos, sos, x + channel * frames, x + (channel + 1) * frames, frames,
                                zi + channel * stride, zi + (channel + 1) * stride);
        }
        if (channel < channels) {
            SOS_ONES[sections](sos, x + channel * frames, frames, zi + channel * stride);
        }
        return;
    }
    for (; channel < channels; channel++) {
        sos_any(sos, sections, x + channel * frames, frames, zi + channel * stride);
    }
}

/* ---- transfer function (b, a), direct form II transposed ------------------- */

#define TF_PAIR(N)                                                                          \
    static void tf_pair_##N(const double *b, const double *a, double *xa, double *xb,     \
                            Py_ssize_t n, double *za, double *zb)                           \
    {                                                                                       \
        v2d z[N], bv[N + 1], av[N + 1];                                                     \
        for (int k = 0; k < N; k++) {                                                       \
            z[k] = (v2d){za[k], zb[k]};                                                     \
        }                                                                                   \
        for (int k = 0; k <= N; k++) {                                                      \
            bv[k] = (v2d){b[k], b[k]};                                                      \
            av[k] = (v2d){a[k], a[k]};                                                      \
        }                                                                                   \
        for (Py_ssize_t i = 0; i < n; i++) {                                                \
            v2d x = {xa[i], xb[i]};                                                         \
            v2d y = z[0] + bv[0] * x;                                                       \
            for (int k = 1; k < N; k++) {                                                   \
                z[k - 1] = z[k] + x * bv[k] - y * av[k];                                    \
            }                                                                               \
            z[N - 1] = x * bv[N] - y * av[N];                                               \
            xa[i] = y[0];                                                                   \
            xb[i] = y[1];                                                                   \
        }                                                                                   \
        for (int k = 0; k < N; k++) {                                                       \
            za[k] = z[k][0];                                                                \
            zb[k] = z[k][1];                                                                \
        }                                                                                   \
    }

TF_PAIR(1) TF_PAIR(2) TF_PAIR(3) TF_PAIR(4) TF_PAIR(5) TF_PAIR(6) TF_PAIR(7) TF_PAIR(8)

typedef void (*tf_pair_fn)(const double *, const double *, double *, double *, Py_ssize_t,
                           double *, double *);
static const tf_pair_fn TF_PAIRS[UNROLLED + 1] = {
    NULL, tf_pair_1, tf_pair_2, tf_pair_3, tf_pair_4, tf_pair_5, tf_pair_6, tf_pair_7, tf_pair_8};

/* Any order, one channel, state in memory. */
static void tf_any(const double *b, const double *a, Py_ssize_t order, double *xa,
                   Py_ssize_t n, double *z)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        double x = xa[i];
        double y = z[0] + b[0] * x;
        for (Py_ssize_t k = 1; k < order; k++) {
            z[k - 1] = z[k] + x * b[k] - y * a[k];
        }
        z[order - 1] = x * b[order] - y * a[order];
        xa[i] = y;
    }
}

static void tf_channels(const double *b, const double *a, Py_ssize_t order, double *x,
                        Py_ssize_t channels, Py_ssize_t frames, double *zi)
{
    Py_ssize_t channel = 0;
    if (order <= UNROLLED) {
        for (; channel + 1 < channels; channel += 2) {
            TF_PAIRS[order](b, a, x + channel * frames, x + (channel + 1) * frames, frames,
                            zi + channel * order, zi + (channel + 1) * order);
        }
    }
    for (; channel < channels; channel++) {
        tf_any(b, a, order, x + channel * frames, frames, zi + channel * order);
    }
}

/* ---- Python interface --------------------------------------------------------- */

static int check_buffer(Py_buffer *view, Py_ssize_t doubles, const char *name)
{
    if (view->len != doubles * (Py_ssize_t)sizeof(double)) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zd float64 values, got %zd bytes", name,
                     doubles, view->len);
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(sosfilt_doc,
             "sosfilt(sos, x, zi, channels, frames, sections)\n\n"
             "Filter x (channels, frames), C-contiguous float64, in place through the\n"
             "sections sos (sections, 6), updating the state zi (channels, sections, 2).");

static PyObject *py_sosfilt(PyObject *self, PyObject *args)
{
    Py_buffer sos, x, zi;
    Py_ssize_t channels, frames, sections;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*w*w*nnn", &sos, &x, &zi, &channels, &frames, &sections)) {
        return NULL;
    }
    PyObject *result = NULL;
    if (sections < 1 || channels < 0 || frames < 0) {
        PyErr_SetString(PyExc_ValueError, "sosfilt: bad sizes");
    }
    else if (check_buffer(&sos, 6 * sections, "sos") == 0 &&
             check_buffer(&x, channels * frames, "x") == 0 &&
             check_buffer(&zi, channels * sections * 2, "zi") == 0) {
        Py_BEGIN_ALLOW_THREADS
        sos_channels((const double *)sos.buf, sections, (double *)x.buf, channels, frames,
                     (double *)zi.buf);
        Py_END_ALLOW_THREADS
        result = Py_None;
        Py_INCREF(result);
    }
    PyBuffer_Release(&sos);
    PyBuffer_Release(&x);
    PyBuffer_Release(&zi);
    return result;
}

PyDoc_STRVAR(sosfilt_two_doc,
             "sosfilt_two(sos_a, x_a, zi_a, sos_b, x_b, zi_b, frames, sections)\n\n"
             "Filter x_a through sos_a and x_b through sos_b (frames each, in place), two\n"
             "different cascades of the same number of sections at the cost of one.");

static PyObject *py_sosfilt_two(PyObject *self, PyObject *args)
{
    Py_buffer sa, xa, za, sb, xb, zb;
    Py_ssize_t frames, sections;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*w*w*y*w*w*nn", &sa, &xa, &za, &sb, &xb, &zb, &frames,
                          &sections)) {
        return NULL;
    }
    PyObject *result = NULL;
    if (sections < 1 || sections > UNROLLED || frames < 0) {
        PyErr_SetString(PyExc_ValueError, "sosfilt_two: bad sizes");
    }
    else if (check_buffer(&sa, 6 * sections, "sos_a") == 0 &&
             check_buffer(&sb, 6 * sections, "sos_b") == 0 &&
             check_buffer(&xa, frames, "x_a") == 0 && check_buffer(&xb, frames, "x_b") == 0 &&
             check_buffer(&za, 2 * sections, "zi_a") == 0 &&
             check_buffer(&zb, 2 * sections, "zi_b") == 0) {
        Py_BEGIN_ALLOW_THREADS
        SOS_PAIRS[sections]((const double *)sa.buf, (const double *)sb.buf, (double *)xa.buf,
                            (double *)xb.buf, frames, (double *)za.buf, (double *)zb.buf);
        Py_END_ALLOW_THREADS
        result = Py_None;
        Py_INCREF(result);
    }
    PyBuffer_Release(&sa);
    PyBuffer_Release(&xa);
    PyBuffer_Release(&za);
    PyBuffer_Release(&sb);
    PyBuffer_Release(&xb);
    PyBuffer_Release(&zb);
    return result;
}

PyDoc_STRVAR(lfilter_doc,
             "lfilter(b, a, x, zi, channels, frames, order)\n\n"
             "Filter x (channels, frames), C-contiguous float64, in place through b / a\n"
             "(each order + 1 values, divided by a[0]), updating zi (channels, order).");

static PyObject *py_lfilter(PyObject *self, PyObject *args)
{
    Py_buffer b, a, x, zi;
    Py_ssize_t channels, frames, order;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*w*w*nnn", &b, &a, &x, &zi, &channels, &frames, &order)) {
        return NULL;
    }
    PyObject *result = NULL;
    if (order < 1 || channels < 0 || frames < 0) {
        PyErr_SetString(PyExc_ValueError, "lfilter: bad sizes");
    }
    else if (check_buffer(&b, order + 1, "b") == 0 && check_buffer(&a, order + 1, "a") == 0 &&
             check_buffer(&x, channels * frames, "x") == 0 &&
             check_buffer(&zi, channels * order, "zi") == 0) {
        Py_BEGIN_ALLOW_THREADS
        tf_channels((const double *)b.buf, (const double *)a.buf, order, (double *)x.buf,
                    channels, frames, (double *)zi.buf);
        Py_END_ALLOW_THREADS
        result = Py_None;
        Py_INCREF(result);
    }
    PyBuffer_Release(&b);
    PyBuffer_Release(&a);
    PyBuffer_Release(&x);
    PyBuffer_Release(&zi);
    return result;
}

static PyMethodDef methods[] = {
    {"sosfilt", py_sosfilt, METH_VARARGS, sosfilt_doc},
    {"sosfilt_two", py_sosfilt_two, METH_VARARGS, sosfilt_two_doc},
    {"lfilter", py_lfilter, METH_VARARGS, lfilter_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_iir",
    "IIR filter kernels, bit-identical to scipy.signal's sosfilt and lfilter.", -1, methods,
};

PyMODINIT_FUNC PyInit__iir(void) { return PyModule_Create(&module); }
