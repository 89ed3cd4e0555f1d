/* The body check of the runtime's inbound boundary, compiled (issue 9).
 *
 * check_body(buf, pos, end, signature, big_endian, nfds, max_h) -> bool
 *
 * True if buf[pos:end] is a valid D-Bus body of the given signature (already
 * found valid as a header field): exactly the verdict of the pure-Python
 * closures in _wire.py (_body_check), which stay the reference and say why a
 * body is refused.  tests/test_wire_compiled.py compares the two.
 *
 * What is checked, per the specification and as the closures do: every value
 * within its container and the body; booleans 0 or 1; strings with their NUL,
 * none inside, valid UTF-8 (as Python's strict decoder: no surrogates, no
 * overlong forms, nothing above U+10FFFF); object paths; signatures (values of
 * type g and of variants: one complete type, at most 32 arrays and 32 structs
 * nested, dict entries only in arrays with a basic key); array lengths at most
 * 2^26, multiples of their element size for fixed-size elements; containers
 * nested at most 64 deep (a variant counts as one); fd indices below nfds and
 * at most max_h of them.  Padding bytes are skipped, not checked (as the
 * closures do).
 *
 * Every read is preceded by a bound check against the innermost container's
 * end, which never exceeds len(buf); recursion is bounded by the depth limit.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define MAX_DEPTH 64
#define MAX_ARRAY_LENGTH (1 << 26)
#define MAX_SIG_NESTING 32

typedef struct {
    const unsigned char *buf;
    int big;
    Py_ssize_t nfds;
    Py_ssize_t max_h;
    Py_ssize_t n_h;
} Walk;

static inline uint32_t
u32(const Walk *w, Py_ssize_t pos)
{
    const unsigned char *p = w->buf + pos;
    if (w->big)
        return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    return ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0];
}

/* Size of a fixed-size type code (0 for any other). */
static inline int
fixed_size(char c)
{
    switch (c) {
    case 'y':
        return 1;
    case 'n':
    case 'q':
        return 2;
    case 'i':
    case 'u':
        return 4;
    case 'x':
    case 't':
    case 'd':
        return 8;
    default:
        return 0;
    }
}

/* Alignment of a type code (as _ALIGN in _wire.py, 1 for v and g). */
static inline int
alignment(char c)
{
    switch (c) {
    case 'b':
    case 'h':
    case 's':
    case 'o':
    case 'a':
        return 4;
    case '(':
    case '{':
        return 8;
    default: {
        int size = fixed_size(c);
        return size ? size : 1;
    }
    }
}

static inline int
is_basic(char c)
{
    return c != 0 && strchr("ybnqiuxtdhsog", c) != NULL;
}

/* -- signatures ---------------------------------------------------------- */

/* The index after the complete type at sig[i] of a valid signature. */
static Py_ssize_t
skip_type(const char *sig, Py_ssize_t i)
{
    while (sig[i] == 'a')
        i++;
    if (sig[i] == '(' || sig[i] == '{') {
        int open = 0;
        do {
            if (sig[i] == '(' || sig[i] == '{')
                open++;
            else if (sig[i] == ')' || sig[i] == '}')
                open--;
            i++;
        } while (open);
        return i;
    }
    return i + 1;
}

/* Check the complete type at sig[i] (n bytes in all), as _compile does; the index after
 * it, or -1 if invalid. */
static Py_ssize_t
parse_type(const char *sig, Py_ssize_t n, Py_ssize_t i, int arrays, int structs)
{
    if (i >= n)
        return -1;
    char c = sig[i];
    if (fixed_size(c) || c == 'b' || c == 'h' || c == 's' || c == 'o' || c == 'g' || c == 'v')
        return i + 1;
    if (c == 'a') {
        if (arrays >= MAX_SIG_NESTING)
            return -1;
        if (i + 1 < n && sig[i + 1] == '{') {
            if (structs >= MAX_SIG_NESTING || i + 2 >= n || !is_basic(sig[i + 2]))
                return -1;
            Py_ssize_t j = parse_type(sig, n, i + 2, arrays + 1, structs + 1);
            if (j < 0)
                return -1;
            j = parse_type(sig, n, j, arrays + 1, structs + 1);
            if (j < 0 || j >= n || sig[j] != '}')
                return -1;
            return j + 1;
        }
        return parse_type(sig, n, i + 1, arrays + 1, structs);
    }
    if (c == '(') {
        if (structs >= MAX_SIG_NESTING)
            return -1;
        Py_ssize_t j = i + 1;
        int fields = 0;
        while (j < n && sig[j] != ')') {
            j = parse_type(sig, n, j, arrays, structs + 1);
            if (j < 0)
                return -1;
            fields++;
        }
        if (j >= n || !fields)
            return -1;
        return j + 1;
    }
    return -1;
}

/* A valid signature of n bytes: any number of complete types (single: exactly one). */
static int
signature_valid(const char *sig, Py_ssize_t n, int single)
{
    if (n > 255)
        return 0;
    Py_ssize_t i = 0;
    int types = 0;
    while (i < n) {
        i = parse_type(sig, n, i, 0, 0);
        if (i < 0)
            return 0;
        types++;
    }
    return single ? types == 1 : 1;
}

/* -- values -------------------------------------------------------------- */

/* Valid UTF-8 by Python's strict decoder (the caller has excluded NUL bytes). */
static int
utf8_valid(const unsigned char *s, Py_ssize_t n)
{
    Py_ssize_t i = 0;
    while (i < n) {
        /* ASCII runs eight bytes at a time */
        while (i + 8 <= n) {
            uint64_t word;
            memcpy(&word, s + i, 8);
            if (word & 0x8080808080808080ULL)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        Py_ssize_t need;
        unsigned char lo = 0x80, hi = 0xBF; /* the range of the second byte */
        if (c >= 0xC2 && c <= 0xDF)
            need = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0)
                lo = 0xA0; /* no overlong form */
            else if (c == 0xED)
                hi = 0x9F; /* no surrogate */
        }
        else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0)
                lo = 0x90; /* no overlong form */
            else if (c == 0xF4)
                hi = 0x8F; /* nothing above U+10FFFF */
        }
        else
            return 0;
        if (i + need >= n)
            return 0; /* cut short */
        if (s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (Py_ssize_t k = 2; k <= need; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
        i += need + 1;
    }
    return 1;
}

/* An object path: "/" or "/"-separated non-empty elements of [A-Za-z0-9_]. */
static int
path_valid(const unsigned char *s, Py_ssize_t n)
{
    if (n < 1 || s[0] != '/')
        return 0;
    if (n == 1)
        return 1;
    int element = 0; /* bytes in the current element */
    for (Py_ssize_t i = 1; i < n; i++) {
        unsigned char c = s[i];
        if (c == '/') {
            if (!element)
                return 0;
            element = 0;
        }
        else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_')
            element++;
        else
            return 0;
    }
    return element > 0;
}

/* A STRING or OBJECT_PATH at *pos (unaligned): length, its NUL and none in it; the text
 * in [*start, *start + *len).  0 if invalid. */
static inline int
read_text(const Walk *w, Py_ssize_t *pos, Py_ssize_t end, Py_ssize_t *start, Py_ssize_t *len)
{
    Py_ssize_t p = *pos;
    p += -p & 3;
    if (p + 4 > end)
        return 0;
    Py_ssize_t s = p + 4;
    Py_ssize_t e = s + (Py_ssize_t)u32(w, p);
    if (e >= end)
        return 0;
    if (w->buf[e] != 0 || memchr(w->buf + s, 0, (size_t)(e - s)) != NULL)
        return 0;
    *start = s;
    *len = e - s;
    *pos = e + 1;
    return 1;
}

/* A SIGNATURE value at *pos: its text in [*start, *start + *len).  0 if cut short, not
 * NUL-terminated or not ASCII. */
static inline int
read_sig(const Walk *w, Py_ssize_t *pos, Py_ssize_t end, Py_ssize_t *start, Py_ssize_t *len)
{
    Py_ssize_t p = *pos;
    if (p >= end)
        return 0;
    Py_ssize_t n = w->buf[p];
    Py_ssize_t e = p + 1 + n;
    if (e >= end || w->buf[e] != 0)
        return 0;
    for (Py_ssize_t i = p + 1; i < e; i++)
        if (w->buf[i] >= 0x80)
            return 0;
    *start = p + 1;
    *len = n;
    *pos = e + 1;
    return 1;
}

static int check_value(Walk *w, const char *sig, Py_ssize_t *si, Py_ssize_t *pos,
                       Py_ssize_t end, int depth);

/* The value of the complete type at sig[*si] (a valid signature) at *pos, bounded by end;
 * ``depth``: the containers around it.  Advances *si past the type and *pos past the
 * value; 0 if the value is invalid. */
static int
check_value(Walk *w, const char *sig, Py_ssize_t *si, Py_ssize_t *pos, Py_ssize_t end,
            int depth)
{
    char c = sig[*si];
    Py_ssize_t p = *pos;
    int size = fixed_size(c);
    if (size) {
        p += (-p & (size - 1)) + size;
        if (p > end)
            return 0;
        *pos = p;
        *si += 1;
        return 1;
    }
    switch (c) {
    case 'b':
    case 'h': {
        p += -p & 3;
        if (p + 4 > end)
            return 0;
        uint32_t v = u32(w, p);
        if (c == 'b') {
            if (v > 1)
                return 0;
        }
        else {
            if ((Py_ssize_t)v >= w->nfds)
                return 0;
            if (++w->n_h > w->max_h)
                return 0;
        }
        *pos = p + 4;
        *si += 1;
        return 1;
    }
    case 's':
    case 'o': {
        Py_ssize_t s, n;
        if (!read_text(w, &p, end, &s, &n))
            return 0;
        if (c == 's' ? !utf8_valid(w->buf + s, n) : !path_valid(w->buf + s, n))
            return 0;
        *pos = p;
        *si += 1;
        return 1;
    }
    case 'g':
    case 'v': {
        /* a SIGNATURE value: any signature; a variant's: one complete type, then its value */
        Py_ssize_t s, n;
        if (!read_sig(w, &p, end, &s, &n))
            return 0;
        if (!signature_valid((const char *)w->buf + s, n, c == 'v'))
            return 0;
        if (c == 'v') {
            if (depth + 1 > MAX_DEPTH)
                return 0;
            /* the variant's signature, NUL-terminated right after it in buf */
            Py_ssize_t inner = 0;
            if (!check_value(w, (const char *)w->buf + s, &inner, &p, end, depth + 1))
                return 0;
        }
        *pos = p;
        *si += 1;
        return 1;
    }
    case 'a': {
        Py_ssize_t elem = *si + 1;
        char ec = sig[elem];
        Py_ssize_t after = skip_type(sig, elem);
        p += -p & 3;
        if (p + 4 > end)
            return 0;
        Py_ssize_t n = u32(w, p);
        if (n > MAX_ARRAY_LENGTH)
            return 0;
        p += 4;
        p += -p & (alignment(ec) - 1);
        Py_ssize_t e = p + n;
        if (e > end)
            return 0;
        /* a{sv} is checked as _wire's _asv_check does: array and entries at once */
        int sv = ec == '{' && sig[elem + 1] == 's' && sig[elem + 2] == 'v';
        if (depth + (sv ? 2 : 1) > MAX_DEPTH)
            return 0;
        int esize = fixed_size(ec);
        if (esize) {
            if (n % esize)
                return 0;
        }
        else {
            while (p < e) {
                Py_ssize_t i = elem;
                if (!check_value(w, sig, &i, &p, e, depth + 1))
                    return 0;
            }
        }
        *pos = e;
        *si = after;
        return 1;
    }
    case '{':
    case '(': {
        char close = c == '(' ? ')' : '}';
        p += -p & 7;
        if (depth + 1 > MAX_DEPTH)
            return 0;
        Py_ssize_t i = *si + 1;
        while (sig[i] != close)
            if (!check_value(w, sig, &i, &p, end, depth + 1))
                return 0;
        *pos = p;
        *si = i + 1;
        return 1;
    }
    default:
        return 0; /* cannot be: the signature was found valid */
    }
}

static PyObject *
check_body(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError,
                        "check_body(buf, pos, end, signature, big_endian, nfds, max_h)");
        return NULL;
    }
    if (!PyBytes_Check(args[0]) || !PyUnicode_Check(args[3])) {
        PyErr_SetString(PyExc_TypeError, "check_body: buf must be bytes, signature str");
        return NULL;
    }
    Py_ssize_t pos = PyLong_AsSsize_t(args[1]);
    Py_ssize_t end = PyLong_AsSsize_t(args[2]);
    int big = PyObject_IsTrue(args[4]);
    Py_ssize_t nfds = PyLong_AsSsize_t(args[5]);
    Py_ssize_t max_h = PyLong_AsSsize_t(args[6]);
    if (PyErr_Occurred())
        return NULL;
    Py_ssize_t n;
    const char *sig = PyUnicode_AsUTF8AndSize(args[3], &n);
    if (sig == NULL)
        return NULL;
    if (pos < 0 || end < pos || end > PyBytes_GET_SIZE(args[0]))
        Py_RETURN_FALSE; /* a body that is not all there */
    if (!signature_valid(sig, n, 0))
        Py_RETURN_FALSE;
    Walk w = {(const unsigned char *)PyBytes_AS_STRING(args[0]), big, nfds, max_h, 0};
    Py_ssize_t i = 0;
    while (i < n)
        if (!check_value(&w, sig, &i, &pos, end, 0))
            Py_RETURN_FALSE;
    if (pos != end)
        Py_RETURN_FALSE;
    Py_RETURN_TRUE;
}

static PyMethodDef methods[] = {
    {"check_body", (PyCFunction)(void (*)(void))check_body, METH_FASTCALL,
     "check_body(buf, pos, end, signature, big_endian, nfds, max_h) -> bool\n\n"
     "True if buf[pos:end] is a valid body of the signature (as _wire's closures decide)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_cwire",
    .m_doc = "The compiled body check of the inbound boundary.",
    .m_size = 0,
    .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__cwire(void)
{
    return PyModule_Create(&module);
}
