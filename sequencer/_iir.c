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

/* Every kernel reads its input and writes its output through element steps, so
 * it takes planar or interleaved audio, and rows of a transposed view, without a
 * copy; the output may be the input itself (each sample is read before it is
 * written). */

/* The state and coefficients of S sections for two lanes: lane a runs the
 * sections sa, lane b the sections sb (the same pointer for a stereo pair
 * through one filter). */
#define SOS_LOAD(S)                                                                 \
    v2d z0[S], z1[S], c0[S], c1[S], c2[S], c4[S], c5[S];                            \
    for (int s = 0; s < S; s++) {                                                   \
        const double *ca = sa + 6 * s, *cb = sb + 6 * s;                            \
        z0[s] = (v2d){za[2 * s], zb[2 * s]};                                        \
        z1[s] = (v2d){za[2 * s + 1], zb[2 * s + 1]};                                \
        c0[s] = (v2d){ca[0], cb[0]};                                                \
        c1[s] = (v2d){ca[1], cb[1]};                                                \
        c2[s] = (v2d){ca[2], cb[2]};                                                \
        c4[s] = (v2d){ca[4], cb[4]};                                                \
        c5[s] = (v2d){ca[5], cb[5]};                                                \
    }

/* One sample of both lanes through the S sections (x in, x out). */
#define SOS_STEP(S, x)                                                              \
    for (int s = 0; s < S; s++) {                                                   \
        v2d y = c0[s] * x + z0[s];                                                  \
        z0[s] = c1[s] * x - c4[s] * y + z1[s];                                      \
        z1[s] = c2[s] * x - c5[s] * y;                                              \
        x = y;                                                                      \
    }

#define SOS_STORE(S)                                                                \
    for (int s = 0; s < S; s++) {                                                   \
        za[2 * s] = z0[s][0];                                                       \
        za[2 * s + 1] = z1[s][0];                                                   \
        zb[2 * s] = z0[s][1];                                                       \
        zb[2 * s + 1] = z1[s][1];                                                   \
    }

/* Signal a (read at xa, step xsa; written at ya, step ysa) through lane a, b through b. */
#define SOS_PAIR(S)                                                                 \
    static void sos_pair_##S(const double *sa, const double *sb, const double *xa,  \
                             Py_ssize_t xsa, const double *xb, Py_ssize_t xsb,      \
                             double *ya, Py_ssize_t ysa, double *yb, Py_ssize_t ysb, \
                             Py_ssize_t n, double *za, double *zb)                  \
    {                                                                               \
        SOS_LOAD(S)                                                                 \
        for (Py_ssize_t i = 0; i < n; i++) {                                        \
            v2d x = {xa[i * xsa], xb[i * xsb]};                                     \
            SOS_STEP(S, x)                                                          \
            ya[i * ysa] = x[0];                                                     \
            yb[i * ysb] = x[1];                                                     \
        }                                                                           \
        SOS_STORE(S)                                                                \
    }

/* Left and right to mid and side, the mid through lane a and the side through
 * lane b, and back to left and right; h is sqrt(1/2). The same operations, in the
 * same order, as vinyl.processing's numpy code:
 *   mid = (l + r) * h, side = (l - r) * h; l' = (mid' + side') * h, r' = (mid' - side') * h */
#define MS_PAIR(S)                                                                  \
    static void ms_pair_##S(const double *sa, const double *sb, const double *l,    \
                            Py_ssize_t ls, const double *r, Py_ssize_t rs,          \
                            double *yl, Py_ssize_t yls, double *yr, Py_ssize_t yrs, \
                            Py_ssize_t n, double *za, double *zb, double h)         \
    {                                                                               \
        SOS_LOAD(S)                                                                 \
        for (Py_ssize_t i = 0; i < n; i++) {                                        \
            double left = l[i * ls], right = r[i * rs];                             \
            v2d x = {(left + right) * h, (left - right) * h};                       \
            SOS_STEP(S, x)                                                          \
            yl[i * yls] = (x[0] + x[1]) * h;                                        \
            yr[i * yrs] = (x[0] - x[1]) * h;                                        \
        }                                                                           \
        SOS_STORE(S)                                                                \
    }

#define SOS_ONE(S)                                                                          \
    static void sos_one_##S(const double *sos, const double *xa, Py_ssize_t xs, double *ya, \
                            Py_ssize_t ys, Py_ssize_t n, double *za)                        \
    {                                                                                       \
        double z0[S], z1[S];                                                                \
        for (int s = 0; s < S; s++) {                                                       \
            z0[s] = za[2 * s];                                                              \
            z1[s] = za[2 * s + 1];                                                          \
        }                                                                                   \
        for (Py_ssize_t i = 0; i < n; i++) {                                                \
            double x = xa[i * xs];                                                          \
            for (int s = 0; s < S; s++) {                                                   \
                const double *c = sos + 6 * s;                                              \
                double y = c[0] * x + z0[s];                                                \
                z0[s] = c[1] * x - c[4] * y + z1[s];                                        \
                z1[s] = c[2] * x - c[5] * y;                                                \
                x = y;                                                                      \
            }                                                                               \
            ya[i * ys] = x;                                                                 \
        }                                                                                   \
        for (int s = 0; s < S; s++) {                                                       \
            za[2 * s] = z0[s];                                                              \
            za[2 * s + 1] = z1[s];                                                          \
        }                                                                                   \
    }

SOS_PAIR(1) SOS_PAIR(2) SOS_PAIR(3) SOS_PAIR(4) SOS_PAIR(5) SOS_PAIR(6) SOS_PAIR(7) SOS_PAIR(8)
MS_PAIR(1) MS_PAIR(2) MS_PAIR(3) MS_PAIR(4) MS_PAIR(5) MS_PAIR(6) MS_PAIR(7) MS_PAIR(8)
SOS_ONE(1) SOS_ONE(2) SOS_ONE(3) SOS_ONE(4) SOS_ONE(5) SOS_ONE(6) SOS_ONE(7) SOS_ONE(8)

typedef void (*sos_pair_fn)(const double *, const double *, const double *, Py_ssize_t,
                            const double *, Py_ssize_t, double *, Py_ssize_t, double *,
                            Py_ssize_t, Py_ssize_t, double *, double *);
typedef void (*ms_pair_fn)(const double *, const double *, const double *, Py_ssize_t,
                           const double *, Py_ssize_t, double *, Py_ssize_t, double *,
                           Py_ssize_t, Py_ssize_t, double *, double *, double);
typedef void (*sos_one_fn)(const double *, const double *, Py_ssize_t, double *, Py_ssize_t,
                           Py_ssize_t, double *);
static const sos_pair_fn SOS_PAIRS[UNROLLED + 1] = {
    NULL, sos_pair_1, sos_pair_2, sos_pair_3, sos_pair_4,
    sos_pair_5, sos_pair_6, sos_pair_7, sos_pair_8};
static const ms_pair_fn MS_PAIRS[UNROLLED + 1] = {
    NULL, ms_pair_1, ms_pair_2, ms_pair_3, ms_pair_4, ms_pair_5, ms_pair_6, ms_pair_7, ms_pair_8};
static const sos_one_fn SOS_ONES[UNROLLED + 1] = {
    NULL, sos_one_1, sos_one_2, sos_one_3, sos_one_4, sos_one_5, sos_one_6, sos_one_7, sos_one_8};

/* Any number of sections, one channel, state in memory (slower, same arithmetic). */
static void sos_any(const double *sos, Py_ssize_t sections, const double *xa, Py_ssize_t xs,
                    double *ya, Py_ssize_t ys, Py_ssize_t n, double *za)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        double x = xa[i * xs];
        for (Py_ssize_t s = 0; s < sections; s++) {
            const double *c = sos + 6 * s;
            double *z = za + 2 * s;
            double y = c[0] * x + z[0];
            z[0] = c[1] * x - c[4] * y + z[1];
            z[1] = c[2] * x - c[5] * y;
            x = y;
        }
        ya[i * ys] = x;
    }
}

/* A signal: its first sample, the step between channels and between frames (in doubles). */
typedef struct {
    double *base;
    Py_ssize_t channel_step;
    Py_ssize_t frame_step;
} signal_t;

#define AT(sig, c) ((sig).base + (c) * (sig).channel_step)

static void sos_channels(const double *sos, Py_ssize_t sections, signal_t x, signal_t y,
                         Py_ssize_t channels, Py_ssize_t frames, double *zi)
{
    Py_ssize_t channel = 0;
    Py_ssize_t stride = 2 * sections;
    Py_ssize_t xs = x.frame_step, ys = y.frame_step;
    if (sections <= UNROLLED) {
        for (; channel + 1 < channels; channel += 2) {
            SOS_PAIRS[sections](sos, sos, AT(x, channel), xs, AT(x, channel + 1), xs,
                                AT(y, channel), ys, AT(y, channel + 1), ys, frames,
                                zi + channel * stride, zi + (channel + 1) * stride);
        }
        if (channel < channels) {
            SOS_ONES[sections](sos, AT(x, channel), xs, AT(y, channel), ys, frames,
                               zi + channel * stride);
        }
        return;
    }
    for (; channel < channels; channel++) {
        sos_any(sos, sections, AT(x, channel), xs, AT(y, channel), ys, frames,
                zi + channel * stride);
    }
}

/* ---- transfer function (b, a), direct form II transposed ------------------- */

#define TF_PAIR(N)                                                                          \
    static void tf_pair_##N(const double *b, const double *a, const double *xa,           \
                            const double *xb, Py_ssize_t xs, double *ya, double *yb,       \
                            Py_ssize_t ys, Py_ssize_t n, double *za, double *zb)           \
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
            v2d x = {xa[i * xs], xb[i * xs]};                                               \
            v2d y = z[0] + bv[0] * x;                                                       \
            for (int k = 1; k < N; k++) {                                                   \
                z[k - 1] = z[k] + x * bv[k] - y * av[k];                                    \
            }                                                                               \
            z[N - 1] = x * bv[N] - y * av[N];                                               \
            ya[i * ys] = y[0];                                                              \
            yb[i * ys] = y[1];                                                              \
        }                                                                                   \
        for (int k = 0; k < N; k++) {                                                       \
            za[k] = z[k][0];                                                                \
            zb[k] = z[k][1];                                                                \
        }                                                                                   \
    }

TF_PAIR(1) TF_PAIR(2) TF_PAIR(3) TF_PAIR(4) TF_PAIR(5) TF_PAIR(6) TF_PAIR(7) TF_PAIR(8)

typedef void (*tf_pair_fn)(const double *, const double *, const double *, const double *,
                           Py_ssize_t, double *, double *, Py_ssize_t, Py_ssize_t, double *,
                           double *);
static const tf_pair_fn TF_PAIRS[UNROLLED + 1] = {
    NULL, tf_pair_1, tf_pair_2, tf_pair_3, tf_pair_4, tf_pair_5, tf_pair_6, tf_pair_7, tf_pair_8};

/* Any order, one channel, state in memory. */
static void tf_any(const double *b, const double *a, Py_ssize_t order, const double *xa,
                   Py_ssize_t xs, double *ya, Py_ssize_t ys, Py_ssize_t n, double *z)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        double x = xa[i * xs];
        double y = z[0] + b[0] * x;
        for (Py_ssize_t k = 1; k < order; k++) {
            z[k - 1] = z[k] + x * b[k] - y * a[k];
        }
        z[order - 1] = x * b[order] - y * a[order];
        ya[i * ys] = y;
    }
}

static void tf_channels(const double *b, const double *a, Py_ssize_t order, signal_t x,
                        signal_t y, Py_ssize_t channels, Py_ssize_t frames, double *zi)
{
    Py_ssize_t channel = 0;
    Py_ssize_t xs = x.frame_step, ys = y.frame_step;
    if (order <= UNROLLED) {
        for (; channel + 1 < channels; channel += 2) {
            TF_PAIRS[order](b, a, AT(x, channel), AT(x, channel + 1), xs, AT(y, channel),
                            AT(y, channel + 1), ys, frames, zi + channel * order,
                            zi + (channel + 1) * order);
        }
    }
    for (; channel < channels; channel++) {
        tf_any(b, a, order, AT(x, channel), xs, AT(y, channel), ys, frames, zi + channel * order);
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

/* Take a float64 signal of shape (channels, frames), or (frames,) for one channel,
 * with any strides (a transposed or sliced numpy view). */
static int get_signal(PyObject *object, Py_buffer *view, signal_t *signal, int writable,
                      Py_ssize_t channels, Py_ssize_t frames, const char *name)
{
    if (PyObject_GetBuffer(object, view, writable ? PyBUF_RECORDS : PyBUF_RECORDS_RO) < 0) {
        return -1;
    }
    const char *format = view->format == NULL ? "B" : view->format;
    if (format[0] == '@' || format[0] == '=' || format[0] == '<') {
        format++;
    }
    int ok = view->itemsize == (Py_ssize_t)sizeof(double) && format[0] == 'd' &&
             format[1] == '\0' && (view->ndim == 1 || view->ndim == 2);
    if (ok && view->ndim == 1) {
        ok = channels == 1 && view->shape[0] == frames;
        signal->channel_step = 0;
        signal->frame_step = view->strides[0] / (Py_ssize_t)sizeof(double);
        ok = ok && view->strides[0] % (Py_ssize_t)sizeof(double) == 0;
    }
    else if (ok) {
        ok = view->shape[0] == channels && view->shape[1] == frames &&
             view->strides[0] % (Py_ssize_t)sizeof(double) == 0 &&
             view->strides[1] % (Py_ssize_t)sizeof(double) == 0;
        signal->channel_step = view->strides[0] / (Py_ssize_t)sizeof(double);
        signal->frame_step = view->strides[1] / (Py_ssize_t)sizeof(double);
    }
    if (!ok) {
        PyErr_Format(PyExc_ValueError, "%s: expected float64 of shape (%zd, %zd)", name, channels,
                     frames);
        PyBuffer_Release(view);
        return -1;
    }
    signal->base = (double *)view->buf;
    return 0;
}

PyDoc_STRVAR(sosfilt_doc,
             "sosfilt(sos, x, y, zi, channels, frames, sections)\n\n"
             "Filter x (channels, frames), float64 with any strides, into y (the same shape,\n"
             "any strides, may be x) through the sections sos (sections, 6), updating the\n"
             "state zi (channels, sections, 2).");

static PyObject *py_sosfilt(PyObject *self, PyObject *args)
{
    Py_buffer sos, zi, xv, yv;
    PyObject *xo, *yo;
    signal_t x, y;
    Py_ssize_t channels, frames, sections;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*OOw*nnn", &sos, &xo, &yo, &zi, &channels, &frames,
                          &sections)) {
        return NULL;
    }
    PyObject *result = NULL;
    if (sections < 1 || channels < 0 || frames < 0) {
        PyErr_SetString(PyExc_ValueError, "sosfilt: bad sizes");
    }
    else if (check_buffer(&sos, 6 * sections, "sos") == 0 &&
             check_buffer(&zi, channels * sections * 2, "zi") == 0 &&
             get_signal(xo, &xv, &x, 0, channels, frames, "x") == 0) {
        if (get_signal(yo, &yv, &y, 1, channels, frames, "y") == 0) {
            Py_BEGIN_ALLOW_THREADS
            sos_channels((const double *)sos.buf, sections, x, y, channels, frames,
                         (double *)zi.buf);
            Py_END_ALLOW_THREADS
            result = Py_None;
            Py_INCREF(result);
            PyBuffer_Release(&yv);
        }
        PyBuffer_Release(&xv);
    }
    PyBuffer_Release(&sos);
    PyBuffer_Release(&zi);
    return result;
}

/* Parse mid_side's (sos_a, zi_a, sos_b, zi_b, x, y, frames, sections, h) and take
 * x and y as (2, frames) signals. */
typedef struct {
    Py_buffer sa, za, sb, zb, xv, yv;
    signal_t x, y;
    Py_ssize_t frames, sections;
} pair_args;

static int parse_pair(PyObject *args, pair_args *p, const char *name, double *h)
{
    PyObject *xo, *yo;
    Py_ssize_t channels = 2;
    if (!PyArg_ParseTuple(args, "y*w*y*w*OOnnd", &p->sa, &p->za, &p->sb, &p->zb, &xo, &yo,
                          &p->frames, &p->sections, h)) {
        return -1;
    }
    if (p->sections < 1 || p->sections > UNROLLED || p->frames < 0) {
        PyErr_Format(PyExc_ValueError, "%s: bad sizes", name);
    }
    else if (check_buffer(&p->sa, 6 * p->sections, "sos_a") == 0 &&
             check_buffer(&p->sb, 6 * p->sections, "sos_b") == 0 &&
             check_buffer(&p->za, 2 * p->sections, "zi_a") == 0 &&
             check_buffer(&p->zb, 2 * p->sections, "zi_b") == 0 &&
             get_signal(xo, &p->xv, &p->x, 0, channels, p->frames, "x") == 0) {
        if (get_signal(yo, &p->yv, &p->y, 1, channels, p->frames, "y") == 0) {
            return 0;
        }
        PyBuffer_Release(&p->xv);
    }
    PyBuffer_Release(&p->sa);
    PyBuffer_Release(&p->za);
    PyBuffer_Release(&p->sb);
    PyBuffer_Release(&p->zb);
    return -1;
}

static void release_pair(pair_args *p)
{
    PyBuffer_Release(&p->xv);
    PyBuffer_Release(&p->yv);
    PyBuffer_Release(&p->sa);
    PyBuffer_Release(&p->za);
    PyBuffer_Release(&p->sb);
    PyBuffer_Release(&p->zb);
}

PyDoc_STRVAR(mid_side_doc,
             "mid_side(sos_mid, zi_mid, sos_side, zi_side, x, y, frames, sections, h)\n\n"
             "Left and right x (2, frames) to mid and side, each through its cascade, and\n"
             "back to left and right in y (2, frames); any strides, y may be x. h is the\n"
             "matrix's sqrt(1/2).");

static PyObject *py_mid_side(PyObject *self, PyObject *args)
{
    pair_args p;
    double h;
    (void)self;
    if (parse_pair(args, &p, "mid_side", &h) < 0) {
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    MS_PAIRS[p.sections]((const double *)p.sa.buf, (const double *)p.sb.buf, AT(p.x, 0),
                         p.x.frame_step, AT(p.x, 1), p.x.frame_step, AT(p.y, 0),
                         p.y.frame_step, AT(p.y, 1), p.y.frame_step, p.frames,
                         (double *)p.za.buf, (double *)p.zb.buf, h);
    Py_END_ALLOW_THREADS
    release_pair(&p);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(lfilter_doc,
             "lfilter(b, a, x, y, zi, channels, frames, order)\n\n"
             "Filter x (channels, frames), float64 with any strides, into y (the same shape,\n"
             "any strides, may be x) through b / a (each order + 1 values, divided by a[0]),\n"
             "updating zi (channels, order).");

static PyObject *py_lfilter(PyObject *self, PyObject *args)
{
    Py_buffer b, a, zi, xv, yv;
    PyObject *xo, *yo;
    signal_t x, y;
    Py_ssize_t channels, frames, order;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*OOw*nnn", &b, &a, &xo, &yo, &zi, &channels, &frames,
                          &order)) {
        return NULL;
    }
    PyObject *result = NULL;
    if (order < 1 || channels < 0 || frames < 0) {
        PyErr_SetString(PyExc_ValueError, "lfilter: bad sizes");
    }
    else if (check_buffer(&b, order + 1, "b") == 0 && check_buffer(&a, order + 1, "a") == 0 &&
             check_buffer(&zi, channels * order, "zi") == 0 &&
             get_signal(xo, &xv, &x, 0, channels, frames, "x") == 0) {
        if (get_signal(yo, &yv, &y, 1, channels, frames, "y") == 0) {
            Py_BEGIN_ALLOW_THREADS
            tf_channels((const double *)b.buf, (const double *)a.buf, order, x, y, channels,
                        frames, (double *)zi.buf);
            Py_END_ALLOW_THREADS
            result = Py_None;
            Py_INCREF(result);
            PyBuffer_Release(&yv);
        }
        PyBuffer_Release(&xv);
    }
    PyBuffer_Release(&b);
    PyBuffer_Release(&a);
    PyBuffer_Release(&zi);
    return result;
}

static PyMethodDef methods[] = {
    {"sosfilt", py_sosfilt, METH_VARARGS, sosfilt_doc},
    {"mid_side", py_mid_side, METH_VARARGS, mid_side_doc},
    {"lfilter", py_lfilter, METH_VARARGS, lfilter_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_iir",
    "IIR filter kernels, bit-identical to scipy.signal's sosfilt and lfilter.", -1, methods,
};

PyMODINIT_FUNC PyInit__iir(void) { return PyModule_Create(&module); }
