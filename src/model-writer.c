/* .ilgnet writer, the counterpart of model-file.c and model-header.c.
 * Tensors are streamed chunk by chunk from their sources (for the Caffe
 * importer, the mapped caffemodel), so converting a 600 MB model needs
 * little memory beyond the page cache. */
#include "ilgnet-model-writer.h"
#include "ilgnet-private.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#define CHUNK 65536             /* values converted at a time */

typedef struct
{
  char *name;
  int ndim;
  gint64 shape[8];
  guint64 count;
  IlgnetStoreType store;
  IlgnetValuesFunc read;
  gconstpointer source;
  guint64 offset, nbytes;
  guint64 scales_offset;        /* I8 */
} Tensor;

struct _IlgnetModelWriter
{
  GArray *tensors;              /* Tensor */
};

static void
tensor_clear (gpointer data)
{
  Tensor *t = data;
  g_free (t->name);
}

IlgnetModelWriter *
ilgnet_model_writer_new (void)
{
  IlgnetModelWriter *w = g_new0 (IlgnetModelWriter, 1);

  w->tensors = g_array_new (FALSE, TRUE, sizeof (Tensor));
  g_array_set_clear_func (w->tensors, tensor_clear);
  return w;
}

void
ilgnet_model_writer_free (IlgnetModelWriter * w)
{
  if (!w)
    return;
  g_array_unref (w->tensors);
  g_free (w);
}

void
ilgnet_model_writer_add_tensor (IlgnetModelWriter * w, const char *name,
    const gint64 * shape, int ndim, IlgnetStoreType store,
    IlgnetValuesFunc read, gconstpointer source)
{
  Tensor t = { 0 };
  int i;

  g_return_if_fail (ndim >= 1 && ndim <= 8);
  t.name = g_strdup (name);
  t.ndim = ndim;
  t.count = 1;
  for (i = 0; i < ndim; i++) {
    t.shape[i] = shape[i];
    t.count *= shape[i];
  }
  t.store = store;
  t.read = read;
  t.source = source;
  g_array_append_val (w->tensors, t);
}

guint64
ilgnet_model_writer_get_n_values (const IlgnetModelWriter * w)
{
  guint64 n = 0;
  guint i;

  for (i = 0; i < w->tensors->len; i++)
    n += g_array_index (w->tensors, Tensor, i).count;
  return n;
}

static guint64
align_up (guint64 v)
{
  return (v + ILGNET_TENSOR_ALIGN - 1) / ILGNET_TENSOR_ALIGN *
      ILGNET_TENSOR_ALIGN;
}

static JsonNode *
tensor_json (const char *dtype, const gint64 * shape, int ndim,
    guint64 offset, guint64 nbytes, const char *scales)
{
  JsonObject *o = json_object_new ();
  JsonArray *a = json_array_new ();
  JsonNode *n = json_node_new (JSON_NODE_OBJECT);
  int i;

  json_object_set_string_member (o, "dtype", dtype);
  for (i = 0; i < ndim; i++)
    json_array_add_int_element (a, shape[i]);
  json_object_set_array_member (o, "shape", a);
  json_object_set_int_member (o, "offset", offset);
  json_object_set_int_member (o, "nbytes", nbytes);
  if (scales)
    json_object_set_string_member (o, "scales", scales);
  json_node_take_object (n, o);
  return n;
}

typedef struct
{
  FILE *f;
  const char *path;
  guint64 pos;                  /* bytes of the data section written */
  GError **error;
} Out;

static gboolean
out_write (Out * o, const void *buf, gsize len)
{
  if (len && fwrite (buf, 1, len, o->f) != len) {
    g_set_error (o->error, ILGNET_ERROR, ILGNET_ERROR_IO, "%s: write "
        "failed: %s", o->path, g_strerror (errno));
    return FALSE;
  }
  o->pos += len;
  return TRUE;
}

static gboolean
out_pad_to (Out * o, guint64 offset)
{
  static const guint8 zeros[ILGNET_TENSOR_ALIGN];

  g_assert (offset >= o->pos && offset - o->pos <= ILGNET_TENSOR_ALIGN);
  return out_write (o, zeros, offset - o->pos);
}

static gboolean
check_finite (Out * o, const Tensor * t, const float *v, gsize n)
{
  gsize i;

  for (i = 0; i < n; i++) {
    if (!isfinite (v[i])) {
      g_set_error (o->error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
          "tensor %s holds a non-finite value (%g)", t->name, v[i]);
      return FALSE;
    }
    if (t->store == ILGNET_STORE_F16 && fabsf (v[i]) >= 65520.0f) {
      g_set_error (o->error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
          "tensor %s holds %g, too large for f16; use --dtype f32",
          t->name, v[i]);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
write_plain (Out * o, const Tensor * t, float *buf, guint16 * hbuf)
{
  guint64 done;

  for (done = 0; done < t->count; done += CHUNK) {
    gsize n = MIN (CHUNK, t->count - done);
    t->read (t->source, done, n, buf);
    if (!check_finite (o, t, buf, n))
      return FALSE;
    if (t->store == ILGNET_STORE_F16) {
      ilgnet_f32_to_f16 (buf, hbuf, n);
      if (!out_write (o, hbuf, n * 2))
        return FALSE;
    } else if (!out_write (o, buf, n * 4)) {
      return FALSE;
    }
  }
  return TRUE;
}

/* int8, one output channel (row of dim 0) at a time: scale = max|w| / 127,
 * q = round(w / scale).  An all-zero row gets scale 0 (every q is 0). */
static gboolean
write_i8 (Out * o, const Tensor * t)
{
  guint64 rows = t->shape[0], row_len = rows ? t->count / rows : 0, r;
  float *row = g_try_new (float, MAX (row_len, 1));
  gint8 *q = g_try_new (gint8, MAX (row_len, 1));
  float *scales = g_new (float, MAX (rows, 1));
  gboolean ok = FALSE;

  if (!row || !q) {
    g_set_error (o->error, ILGNET_ERROR, ILGNET_ERROR_IO, "out of memory");
    goto out;
  }
  for (r = 0; r < rows; r++) {
    float m = 0.0f, s;
    guint64 i;
    t->read (t->source, r * row_len, row_len, row);
    if (!check_finite (o, t, row, row_len))
      goto out;
    for (i = 0; i < row_len; i++)
      m = MAX (m, fabsf (row[i]));
    s = m / 127.0f;
    for (i = 0; i < row_len; i++) {
      /* A true division (not a multiply by 1/s) so that any reference
       * computing round (w / s) in float gets the same q. */
      float v = s > 0.0f ? nearbyintf (row[i] / s) : 0.0f;
      q[i] = (gint8) CLAMP (v, -127.0f, 127.0f);
    }
    scales[r] = s;
    if (!out_write (o, q, row_len))
      goto out;
  }
  if (!out_pad_to (o, t->scales_offset) || !out_write (o, scales, rows * 4))
    goto out;
  ok = TRUE;
out:
  g_free (row);
  g_free (q);
  g_free (scales);
  return ok;
}

/* Phase 1: lays the tensors out, each 64-byte aligned, and lists them in
 * the header; returns the data section's size. */
static guint64
lay_out_tensors (IlgnetModelWriter * w, JsonObject * header)
{
  static const char *dtypes[] = { "f32", "f16", "i8" };
  static const int sizes[] = { 4, 2, 1 };
  JsonObject *tensors = json_object_new ();
  guint64 pos = 0;
  guint i;

  for (i = 0; i < w->tensors->len; i++) {
    Tensor *t = &g_array_index (w->tensors, Tensor, i);
    char *scales = NULL;
    t->offset = align_up (pos);
    t->nbytes = t->count * sizes[t->store];
    pos = t->offset + t->nbytes;
    if (t->store == ILGNET_STORE_I8) {
      scales = g_strdup_printf ("%s.scales", t->name);
      t->scales_offset = align_up (pos);
      pos = t->scales_offset + t->shape[0] * 4;
      json_object_set_member (tensors, scales, tensor_json ("f32",
              t->shape, 1, t->scales_offset, t->shape[0] * 4, NULL));
    }
    json_object_set_member (tensors, t->name, tensor_json (dtypes[t->store],
            t->shape, t->ndim, t->offset, t->nbytes, scales));
    g_free (scales);
  }
  json_object_set_int_member (header, "data_size", align_up (pos));
  json_object_set_object_member (header, "tensors", tensors);
  return align_up (pos);
}

/* Phase 2: the preamble and the header, padded so that the data section
 * starts aligned. */
static gboolean
write_head (Out * o, JsonObject * header)
{
  JsonNode *root = json_node_new (JSON_NODE_OBJECT);
  JsonGenerator *gen = json_generator_new ();
  guint8 pre[ILGNET_PREAMBLE_SIZE];
  gsize json_len, h;
  guint32 u32;
  guint64 u64;
  char *json;
  gboolean ok;

  json_node_set_object (root, header);
  json_generator_set_root (gen, root);
  json = json_generator_to_data (gen, &json_len);
  g_object_unref (gen);
  json_node_unref (root);
  h = align_up (ILGNET_PREAMBLE_SIZE + json_len) - ILGNET_PREAMBLE_SIZE;

  memcpy (pre, ILGNET_FORMAT_MAGIC, 8);
  u32 = GUINT32_TO_LE (ILGNET_FORMAT_VERSION);
  memcpy (pre + 8, &u32, 4);
  u32 = 0;
  memcpy (pre + 12, &u32, 4);
  u64 = GUINT64_TO_LE ((guint64) h);
  memcpy (pre + 16, &u64, 8);
  ok = out_write (o, pre, sizeof pre) && out_write (o, json, json_len);
  for (; ok && json_len < h; json_len++)
    ok = out_write (o, " ", 1);
  g_free (json);
  return ok;
}

/* Phase 3: the data section. */
static gboolean
write_data (Out * o, IlgnetModelWriter * w, guint64 data_size)
{
  float *buf = g_new (float, CHUNK);
  guint16 *hbuf = g_new (guint16, CHUNK);
  gboolean ok = TRUE;
  guint i;

  o->pos = 0;                   /* offsets count from the data section */
  for (i = 0; ok && i < w->tensors->len; i++) {
    Tensor *t = &g_array_index (w->tensors, Tensor, i);
    ok = out_pad_to (o, t->offset) && (t->store == ILGNET_STORE_I8 ?
        write_i8 (o, t) : write_plain (o, t, buf, hbuf));
  }
  g_free (buf);
  g_free (hbuf);
  return ok && out_pad_to (o, data_size);
}

/* Flushes and closes o->f; FALSE (with the reason) when the data did not
 * reach the file. */
static gboolean
out_close (Out * o, const char *path)
{
  gboolean flushed = fflush (o->f) == 0;
  gboolean closed = fclose (o->f) == 0;

  o->f = NULL;
  if (!flushed || !closed) {
    g_set_error (o->error, ILGNET_ERROR, ILGNET_ERROR_IO, "%s: write failed: "
        "%s", path, g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

gboolean
ilgnet_model_writer_write (IlgnetModelWriter * w, JsonObject * header,
    const char *path, GError ** error)
{
  guint64 data_size = lay_out_tensors (w, header);
  char *tmp = g_strdup_printf ("%s.tmp-%d", path, (int) getpid ());
  Out o = { 0 };
  gboolean ok = FALSE;

  o.f = g_fopen (tmp, "wb");
  o.path = tmp;
  o.error = error;
  if (!o.f) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO, "%s: %s", path,
        g_strerror (errno));
  } else {
    setvbuf (o.f, NULL, _IOFBF, 1 << 20);
    ok = write_head (&o, header) && write_data (&o, w, data_size)
        && out_close (&o, path);
  }
  if (ok && g_rename (tmp, path) != 0) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO, "%s: %s", path,
        g_strerror (errno));
    ok = FALSE;
  }
  /* nothing is left behind on error */
  if (o.f)
    fclose (o.f);
  if (!ok)
    g_unlink (tmp);
  g_free (tmp);
  return ok;
}
