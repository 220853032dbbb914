/* BlobProto decoding.  Float data normally comes as one packed run, which
 * is used where it lies in the mapped caffemodel; old writers may emit one
 * field per value or several runs, which are gathered into a copy. */
#include "caffe-blob.h"
#include "ilgnet.h"

#include <string.h>

/* Caffe writes little-endian values; so does every host we build for. */
G_STATIC_ASSERT (G_BYTE_ORDER == G_LITTLE_ENDIAN);

enum
{
  BLOB_NUM = 1,
  BLOB_CHANNELS = 2,
  BLOB_HEIGHT = 3,
  BLOB_WIDTH = 4,
  BLOB_DATA = 5,
  BLOB_SHAPE = 7,
  BLOB_DOUBLE_DATA = 8,
  SHAPE_DIM = 1
};

/* Dimensions beyond this are surely corrupt and would overflow counts. */
#define MAX_DIM (G_GINT64_CONSTANT (1) << 40)

guint64
ilgnet_caffe_shape_count (const IlgnetCaffeShape * s)
{
  guint64 n = 1;
  int i;

  for (i = 0; i < s->ndim; i++) {
    if (s->dim[i] != 0 && n > G_MAXUINT64 / (guint64) s->dim[i])
      return G_MAXUINT64;
    n *= s->dim[i];
  }
  return n;
}

const char *
ilgnet_caffe_shape_str (const IlgnetCaffeShape * s, char *buf, gsize size)
{
  gsize off = 0;
  int i;

  buf[0] = '\0';
  if (s->ndim == 0)
    g_strlcpy (buf, "(scalar)", size);
  for (i = 0; i < s->ndim && off < size; i++)
    off += g_snprintf (buf + off, size - off, "%s%" G_GINT64_FORMAT,
        i ? "x" : "", s->dim[i]);
  return buf;
}

gboolean
ilgnet_caffe_shape_equivalent (const IlgnetCaffeShape * a,
    const IlgnetCaffeShape * b)
{
  int i = 0, j = 0;

  while (i < a->ndim - 1 && a->dim[i] == 1)
    i++;
  while (j < b->ndim - 1 && b->dim[j] == 1)
    j++;
  if (a->ndim - i != b->ndim - j)
    return FALSE;
  for (; i < a->ndim; i++, j++)
    if (a->dim[i] != b->dim[j])
      return FALSE;
  return TRUE;
}

static gboolean
add_dim (IlgnetCaffeShape * s, guint64 v)
{
  if (s->ndim >= ILGNET_CAFFE_MAX_DIMS || v > (guint64) MAX_DIM)
    return FALSE;
  s->dim[s->ndim++] = v;
  return TRUE;
}

static gboolean
parse_shape (IlgnetWireReader * r, IlgnetCaffeShape * s, const char *what,
    GError ** error)
{
  IlgnetWireField f;
  GError *e = NULL;

  s->ndim = 0;
  while (ilgnet_wire_next (r, &f, &e)) {
    if (f.number != SHAPE_DIM)
      continue;
    if (f.wire == ILGNET_WIRE_VARINT) {
      if (!add_dim (s, f.value))
        goto bad;
    } else if (f.wire == ILGNET_WIRE_LEN) {
      const guint8 *p = f.data, *end = f.data + f.len;
      while (p < end) {
        guint64 v;
        if (!ilgnet_wire_varint (&p, end, &v) || !add_dim (s, v))
          goto bad;
      }
    }
  }
  if (e) {
    g_propagate_error (error, e);
    return FALSE;
  }
  return TRUE;

bad:
  g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
      "%s: %s: corrupt or unsupported shape (too many or too large "
      "dimensions)", r->what, what);
  return FALSE;
}

void
ilgnet_caffe_blob_clear (IlgnetCaffeBlob * blob)
{
  g_free (blob->owned);
  memset (blob, 0, sizeof *blob);
}

/* Appends one data field's values (packed run or single value) to @dst at
 * *@pos; with @dst NULL only counts. */
static void
gather (const IlgnetWireField * f, gboolean dbl, float *dst, guint64 * pos)
{
  gsize width = dbl ? 8 : 4;
  gsize n = f->len / width, i;

  if (dst) {
    for (i = 0; i < n; i++) {
      if (dbl) {
        double d;
        memcpy (&d, f->data + i * 8, 8);
        dst[*pos + i] = (float) d;
      } else {
        memcpy (&dst[*pos + i], f->data + i * 4, 4);
      }
    }
  }
  *pos += n;
}

/* The values of one precision in a blob: how many, in how many fields,
 * and the packed run of the last packed field. */
typedef struct
{
  guint64 n;
  int fields;
  const guint8 *packed;
} Values;

/* A data field of @width-byte values, packed or one fixed-size value;
 * FALSE when it is encoded otherwise. */
static gboolean
count_values (const IlgnetWireField * f, int width, Values * v)
{
  if (f->wire == ILGNET_WIRE_LEN) {
    if (f->len % width)
      return FALSE;
    v->packed = f->data;
  } else if (f->wire != (width == 4 ? ILGNET_WIRE_FIXED32 :
          ILGNET_WIRE_FIXED64)) {
    return FALSE;
  }
  v->n += f->len / width;
  v->fields++;
  return TRUE;
}

/* Points the blob at its values when they are one packed run, else
 * gathers them into an owned float array in a second pass from @start. */
static gboolean
place_values (IlgnetWireReader * r, const IlgnetWireReader * start,
    IlgnetCaffeBlob * blob, const Values * f32, const Values * f64,
    const char *what, GError ** error)
{
  IlgnetWireField f;
  guint64 pos = 0;

  /* Only the kind that holds the values: an empty packed float field
   * beside packed doubles must not become the blob's data (the fuzzer found
   * reads past it). */
  if (f32->n && f32->fields == 1 && f32->packed) {
    blob->f32 = f32->packed;
    return TRUE;
  }
  if (f64->n && f64->fields == 1 && f64->packed) {
    blob->f64 = f64->packed;
    return TRUE;
  }
  if (!blob->count)
    return TRUE;
  blob->owned = g_try_new (float, blob->count);
  if (!blob->owned) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO,
        "%s: %s: out of memory", r->what, what);
    return FALSE;
  }
  *r = *start;
  while (ilgnet_wire_next (r, &f, NULL)) {
    if (f.number == BLOB_DATA && f32->n)
      gather (&f, FALSE, blob->owned, &pos);
    else if (f.number == BLOB_DOUBLE_DATA && f64->n)
      gather (&f, TRUE, blob->owned, &pos);
  }
  return TRUE;
}

gboolean
ilgnet_caffe_blob_parse (IlgnetWireReader * r, IlgnetCaffeBlob * blob,
    const char *what, GError ** error)
{
  IlgnetWireReader start = *r;
  IlgnetWireField f;
  GError *e = NULL;
  gint64 dims4[4] = { 0, 0, 0, 0 };
  gboolean have4 = FALSE, have_shape = FALSE;
  Values f32 = { 0 }, f64 = { 0 };
  char sbuf[128];

  memset (blob, 0, sizeof *blob);
  while (ilgnet_wire_next (r, &f, &e)) {
    switch (f.number) {
      case BLOB_NUM:
      case BLOB_CHANNELS:
      case BLOB_HEIGHT:
      case BLOB_WIDTH:
        if (f.wire != ILGNET_WIRE_VARINT)
          goto bad_field;
        if ((gint64) f.value < 0 || f.value > MAX_DIM)
          goto bad_shape;
        dims4[f.number - 1] = f.value;
        have4 = TRUE;
        break;
      case BLOB_SHAPE:{
        IlgnetWireReader sub;
        if (f.wire != ILGNET_WIRE_LEN)
          goto bad_field;
        ilgnet_wire_reader_sub (r, &f, &sub);
        if (!parse_shape (&sub, &blob->shape, what, error))
          return FALSE;
        have_shape = TRUE;
        break;
      }
      case BLOB_DATA:
        if (!count_values (&f, 4, &f32))
          goto bad_field;
        break;
      case BLOB_DOUBLE_DATA:
        if (!count_values (&f, 8, &f64))
          goto bad_field;
        break;
      default:
        break;                  /* diff, double_diff: training state */
    }
  }
  if (e) {
    g_propagate_error (error, e);
    return FALSE;
  }
  if (!have_shape) {
    int i;
    /* Legacy 4-D blob; a blob with neither form is an empty 0-D one. */
    blob->shape.ndim = have4 ? 4 : 0;
    for (i = 0; i < blob->shape.ndim; i++)
      blob->shape.dim[i] = dims4[i];
  }
  if (f32.n && f64.n) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s: %s has both float and double data", r->what, what);
    return FALSE;
  }
  blob->count = f32.n ? f32.n : f64.n;
  if (blob->count != ilgnet_caffe_shape_count (&blob->shape)
      && !(blob->shape.ndim == 0 && blob->count == 0)) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s: %s holds %" G_GUINT64_FORMAT " values but its shape %s needs %"
        G_GUINT64_FORMAT, r->what, what, blob->count,
        ilgnet_caffe_shape_str (&blob->shape, sbuf, sizeof sbuf),
        ilgnet_caffe_shape_count (&blob->shape));
    return FALSE;
  }
  return place_values (r, &start, blob, &f32, &f64, what, error);

bad_field:
  g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
      "%s: %s: field %u has a bad encoding", r->what, what, f.number);
  return FALSE;
bad_shape:
  g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
      "%s: %s: dimension %" G_GINT64_FORMAT " out of range", r->what, what,
      (gint64) f.value);
  return FALSE;
}

void
ilgnet_caffe_blob_read (const IlgnetCaffeBlob * blob, guint64 start, gsize n,
    float *dst)
{
  gsize i;

  if (blob->owned) {
    memcpy (dst, blob->owned + start, n * sizeof (float));
  } else if (blob->f32) {
    memcpy (dst, blob->f32 + start * 4, n * sizeof (float));
  } else if (blob->f64) {
    for (i = 0; i < n; i++) {
      double d;
      memcpy (&d, blob->f64 + (start + i) * 8, 8);
      dst[i] = (float) d;
    }
  }
}
