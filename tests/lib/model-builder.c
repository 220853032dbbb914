/* See model-builder.h.  Follows the format comment of src/ilgnet.h. */
#include "model-builder.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

struct _ModelBuilder
{
  int c, h, w;
  GString *tensors_json;
  GString *layers_json;
  GByteArray *data;
  char *output;
  int high_index;
  char *input_extra;
  GPtrArray *names;
  int n_tensors;
};

ModelBuilder *
model_builder_new (int c, int h, int w)
{
  ModelBuilder *b = g_new0 (ModelBuilder, 1);
  b->c = c;
  b->h = h;
  b->w = w;
  b->tensors_json = g_string_new ("");
  b->layers_json = g_string_new ("");
  b->data = g_byte_array_new ();
  b->names = g_ptr_array_new_with_free_func (g_free);
  b->high_index = 0;
  b->input_extra = g_strdup ("");
  return b;
}

void
model_builder_free (ModelBuilder * b)
{
  g_string_free (b->tensors_json, TRUE);
  g_string_free (b->layers_json, TRUE);
  g_byte_array_unref (b->data);
  g_ptr_array_unref (b->names);
  g_free (b->output);
  g_free (b->input_extra);
  g_free (b);
}

/* IEEE half, round to nearest even, via the classic bit method */
static guint16
to_half (float f)
{
  guint32 x;
  memcpy (&x, &f, 4);
  guint32 sign = (x >> 16) & 0x8000;
  int e = ((x >> 23) & 0xff) - 127 + 15;
  guint32 m = x & 0x7fffff;
  if (e >= 31)
    return sign | 0x7c00;
  if (e <= 0) {
    /* subnormals: value / 2^-24, rounded */
    float a = fabsf (f) * 16777216.0f;
    guint32 q = (guint32) nearbyintf (a);
    return sign | q;
  }
  guint32 r = sign | (e << 10) | (m >> 13);
  guint32 rest = m & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (r & 1)))
    r++;
  return r;
}

static float
from_half (guint16 h)
{
  int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  float v;
  if (e == 0)
    v = ldexpf (m, -24);
  else if (e == 31)
    v = INFINITY;
  else
    v = ldexpf (m + 1024, e - 25);
  return (h & 0x8000) ? -v : v;
}

static void
quant_i8 (const float *v, gint64 rows, gint64 per_row, gint8 * q,
    float *scales)
{
  gint64 r, k;
  for (r = 0; r < rows; r++) {
    float m = 0;
    for (k = 0; k < per_row; k++)
      m = MAX (m, fabsf (v[r * per_row + k]));
    scales[r] = m > 0 ? m / 127.0f : 1.0f;
    for (k = 0; k < per_row; k++)
      q[r * per_row + k] = (gint8) lrintf (v[r * per_row + k] / scales[r]);
  }
}

void
model_builder_dequantize (const char *dtype, float *v, gint64 rows,
    gint64 per_row)
{
  gint64 n = rows * per_row, i;
  if (g_strcmp0 (dtype, "f16") == 0) {
    for (i = 0; i < n; i++)
      v[i] = from_half (to_half (v[i]));
  } else if (g_strcmp0 (dtype, "i8") == 0) {
    gint8 *q = g_new (gint8, n);
    float *s = g_new (float, rows);
    quant_i8 (v, rows, per_row, q, s);
    for (i = 0; i < n; i++)
      v[i] = q[i] * s[i / per_row];
    g_free (q);
    g_free (s);
  }
}

static void
pad_data (ModelBuilder * b)
{
  static const guint8 zeros[64] = { 0 };
  if (b->data->len % 64)
    g_byte_array_append (b->data, zeros, 64 - b->data->len % 64);
}

static const char *
add_raw (ModelBuilder * b, const char *dtype, const void *bytes, gsize nbytes,
    const gint64 * shape, int ndim, const char *scales)
{
  char *name = g_strdup_printf ("t%d", b->n_tensors++);
  int i;

  pad_data (b);
  g_string_append_printf (b->tensors_json, "%s\"%s\":{\"dtype\":\"%s\","
      "\"shape\":[", b->tensors_json->len ? "," : "", name, dtype);
  for (i = 0; i < ndim; i++)
    g_string_append_printf (b->tensors_json, "%s%" G_GINT64_FORMAT,
        i ? "," : "", shape[i]);
  g_string_append_printf (b->tensors_json, "],\"offset\":%u,\"nbytes\":%"
      G_GSIZE_FORMAT "%s%s%s}", b->data->len, nbytes,
      scales ? ",\"scales\":\"" : "", scales ? scales : "", scales ? "\"" : "");
  g_byte_array_append (b->data, bytes, nbytes);
  g_ptr_array_add (b->names, name);
  return name;
}

const char *
model_builder_add_tensor (ModelBuilder * b, const char *dtype,
    const float *values, const gint64 * shape, int ndim)
{
  gint64 n = 1, i;
  for (i = 0; i < ndim; i++)
    n *= shape[i];

  if (g_strcmp0 (dtype, "f16") == 0) {
    guint16 *h = g_new (guint16, n);
    const char *name;
    for (i = 0; i < n; i++)
      h[i] = to_half (values[i]);
    name = add_raw (b, "f16", h, n * 2, shape, ndim, NULL);
    g_free (h);
    return name;
  } else if (g_strcmp0 (dtype, "i8") == 0) {
    gint64 rows = shape[0], per = n / rows;
    gint8 *q = g_new (gint8, n);
    float *s = g_new (float, rows);
    const char *sname, *name;
    quant_i8 (values, rows, per, q, s);
    sname = add_raw (b, "f32", s, rows * 4, &rows, 1, NULL);
    name = add_raw (b, "i8", q, n, shape, ndim, sname);
    g_free (q);
    g_free (s);
    return name;
  }
  return add_raw (b, "f32", values, n * 4, shape, ndim, NULL);
}

static void
append_names (GString * s, const char *key, const char *const *names)
{
  int i;
  g_string_append_printf (s, ",\"%s\":[", key);
  for (i = 0; names && names[i]; i++)
    g_string_append_printf (s, "%s\"%s\"", i ? "," : "", names[i]);
  g_string_append (s, "]");
}

void
model_builder_add_layer (ModelBuilder * b, const char *name,
    const char *type, const char *const *bottoms, const char *top,
    const char *const *blobs, const char *param_json)
{
  GString *s = b->layers_json;
  g_string_append_printf (s, "%s{\"name\":\"%s\",\"type\":\"%s\"",
      s->len ? "," : "", name, type);
  append_names (s, "bottom", bottoms);
  g_string_append_printf (s, ",\"top\":[\"%s\"]", top);
  append_names (s, "blobs", blobs);
  g_string_append_printf (s, ",\"param\":{%s}}", param_json ? param_json : "");
  g_free (b->output);
  b->output = g_strdup (top);
}

void
model_builder_set_output (ModelBuilder * b, const char *blob, int high_index)
{
  g_free (b->output);
  b->output = g_strdup (blob);
  b->high_index = high_index;
}

void
model_builder_set_input_extra (ModelBuilder * b, const char *json)
{
  g_free (b->input_extra);
  b->input_extra = g_strdup (json);
}

guint8 *
model_builder_serialize (ModelBuilder * b, gsize * len)
{
  GString *h = g_string_new ("");
  GByteArray *out = g_byte_array_new ();
  guint8 pre[24];
  guint64 hl;
  int i;

  pad_data (b);
  g_string_append_printf (h, "{\"format\":\"ilgnet\",\"version\":1,"
      "\"name\":\"test\",\"architecture\":\"test\",\"input\":{\"blob\":"
      "\"data\",\"shape\":[%d,%d,%d],\"channel_order\":\"bgr\",\"mean\":"
      "[0,0,0],\"scale\":1%s},\"output\":{\"blob\":\"%s\",\"high_index\":%d},"
      "\"data_size\":%u,\"tensors\":{%s},\"layers\":[%s]}", b->c, b->h, b->w,
      b->input_extra, b->output ? b->output : "data", b->high_index,
      b->data->len, b->tensors_json->str, b->layers_json->str);
  while ((24 + h->len) % 64)
    g_string_append_c (h, ' ');
  memcpy (pre, "ILGNETMF", 8);
  pre[8] = 1, pre[9] = pre[10] = pre[11] = 0;
  memset (pre + 12, 0, 4);
  hl = h->len;
  for (i = 0; i < 8; i++)
    pre[16 + i] = (hl >> (8 * i)) & 0xff;
  g_byte_array_append (out, pre, 24);
  g_byte_array_append (out, (guint8 *) h->str, h->len);
  g_byte_array_append (out, b->data->data, b->data->len);
  g_string_free (h, TRUE);
  *len = out->len;
  return g_byte_array_free (out, FALSE);
}

char *
model_builder_write (ModelBuilder * b)
{
  gsize len;
  guint8 *bytes = model_builder_serialize (b, &len);
  char *path = NULL;
  GError *err = NULL;
  int fd = g_file_open_tmp ("ilgnet-test-XXXXXX.ilgnet", &path, &err);

  g_assert_no_error (err);
  close (fd);
  g_file_set_contents (path, (const char *) bytes, len, &err);
  g_assert_no_error (err);
  g_free (bytes);
  return path;
}

void
fill_random (GRand * r, float *v, gsize n, float lo, float hi)
{
  gsize i;
  for (i = 0; i < n; i++)
    v[i] = g_rand_double_range (r, lo, hi);
}

static GRand *seeded_rnd;
static guint32 seeded_seed;

static void
run_seeded (gconstpointer data)
{
  const SeededTest *t = data;

  g_rand_set_seed (seeded_rnd, seeded_seed);
  t->func ();
}

int
run_seeded_tests (int *argc, char ***argv, GRand ** rnd, guint32 seed,
    const SeededTest * cases)
{
  int ret;

  g_test_init (argc, argv, NULL);
  g_test_set_nonfatal_assertions ();
  seeded_rnd = *rnd = g_rand_new ();
  seeded_seed = seed;
  for (; cases->path; cases++)
    g_test_add_data_func (cases->path, cases, run_seeded);
  ret = g_test_run ();
  g_rand_free (*rnd);
  *rnd = NULL;
  return ret;
}
