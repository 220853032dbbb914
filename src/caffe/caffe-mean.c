/* Mean files.  Caffe's mean.binaryproto is one BlobProto; Python pipelines
 * ship the same image as .npy.  Either way the net used per-pixel means,
 * and the runtime takes one mean per channel, so the image is averaged. */
#include "caffe-mean.h"
#include "caffe-blob.h"
#include "ilgnet.h"

#include <stdlib.h>
#include <string.h>

/* Finds the channel axis of @s and checks the other axes; returns the
 * number of values per channel, or 0 when the shape is not accepted. */
static guint64
per_channel (const IlgnetCaffeShape * s, int channels)
{
  if (s->ndim == 1 && s->dim[0] == channels)
    return 1;
  if (s->ndim == 3 && s->dim[0] == channels && s->dim[1] > 0 && s->dim[2] > 0)
    return s->dim[1] * s->dim[2];
  if (s->ndim == 4 && s->dim[0] == 1 && s->dim[1] == channels
      && s->dim[2] > 0 && s->dim[3] > 0)
    return s->dim[2] * s->dim[3];
  return 0;
}

static gboolean
bad_shape (const char *path, const IlgnetCaffeShape * s, int channels,
    GError ** error)
{
  char buf[160];

  g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_SHAPE,
      "%s: mean has shape %s; expected %d, %dxHxW or 1x%dxHxW", path,
      ilgnet_caffe_shape_str (s, buf, sizeof buf), channels, channels,
      channels);
  return FALSE;
}

static gboolean
load_binaryproto (const char *path, const guint8 * data, gsize len,
    int channels, float *mean, GError ** error)
{
  IlgnetWireReader r;
  IlgnetCaffeBlob blob;
  guint64 per, c, i;
  float *row;

  ilgnet_wire_reader_init (&r, data, data, len, path);
  if (!ilgnet_caffe_blob_parse (&r, &blob, "mean blob", error))
    return FALSE;
  per = per_channel (&blob.shape, channels);
  if (!per || blob.count == 0) {
    bad_shape (path, &blob.shape, channels, error);
    ilgnet_caffe_blob_clear (&blob);
    return FALSE;
  }
  row = g_new (float, per);
  for (c = 0; c < (guint64) channels; c++) {
    double sum = 0;
    ilgnet_caffe_blob_read (&blob, c * per, per, row);
    for (i = 0; i < per; i++)
      sum += row[i];
    mean[c] = sum / per;
  }
  g_free (row);
  ilgnet_caffe_blob_clear (&blob);
  return TRUE;
}

/* The value of 'key' in a .npy header dict, e.g. "'<f4'" or "(3, 4, 4)". */
static char *
npy_value (const char *hdr, const char *key)
{
  char *pat = g_strdup_printf ("'%s':", key);
  const char *p = strstr (hdr, pat), *e;
  g_free (pat);
  if (!p)
    return NULL;
  p += strlen (key) + 3;
  while (*p == ' ')
    p++;
  if (*p == '(') {
    e = strchr (p, ')');
    return e ? g_strndup (p + 1, e - p - 1) : NULL;
  }
  e = p;
  while (*e && *e != ',' && *e != '}')
    e++;
  return g_strstrip (g_strndup (p, e - p));
}

/* The mean of @n little-endian values of @width bytes (uint8, float32 or
 * float64). */
static double
npy_mean (const guint8 * p, int width, guint64 n)
{
  double sum = 0;
  guint64 i;

  for (i = 0; i < n; i++) {
    if (width == 1) {
      sum += p[i];
    } else if (width == 4) {
      float f;
      memcpy (&f, p + i * 4, 4);
      sum += f;
    } else {
      double d;
      memcpy (&d, p + i * 8, 8);
      sum += d;
    }
  }
  return sum / n;
}

static gboolean
load_npy (const char *path, const guint8 * data, gsize len, int channels,
    float *mean, GError ** error)
{
  IlgnetCaffeShape s = { 0 };
  guint64 hlen, start, per, c, i, count;
  char *hdr = NULL, *descr = NULL, *fortran = NULL, *shape = NULL;
  char **dims = NULL;
  int width;
  gboolean ok = FALSE;

  if (len < 10)
    goto corrupt;
  if (data[6] == 1) {
    hlen = data[8] | (data[9] << 8);
    start = 10;
  } else if ((data[6] == 2 || data[6] == 3) && len >= 12) {
    hlen = data[8] | (data[9] << 8) | (data[10] << 16) |
        ((guint64) data[11] << 24);
    start = 12;
  } else {
    goto corrupt;
  }
  if (hlen > len - start)
    goto corrupt;
  hdr = g_strndup ((const char *) data + start, hlen);
  start += hlen;
  descr = npy_value (hdr, "descr");
  fortran = npy_value (hdr, "fortran_order");
  shape = npy_value (hdr, "shape");
  if (!descr || !fortran || !shape)
    goto corrupt;
  if (!strcmp (descr, "'<f4'"))
    width = 4;
  else if (!strcmp (descr, "'<f8'"))
    width = 8;
  else if (!strcmp (descr, "'|u1'") || !strcmp (descr, "'<u1'"))
    width = 1;
  else {
    /* The dtype is the file's text: printable and short, so that the
     * error stays one line (found by fuzz-mean). */
    gchar *shown = g_strndup (descr, 32);
    gchar *c;

    for (c = shown; *c; c++)
      if (!g_ascii_isprint (*c))
        *c = '?';
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_UNSUPPORTED,
        "%s: mean dtype %s%s is not supported (float32, float64 or uint8)",
        path, shown, strlen (descr) > 32 ? "..." : "");
    g_free (shown);
    goto out;
  }
  if (strcmp (fortran, "False") != 0) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_UNSUPPORTED,
        "%s: Fortran-order arrays are not supported", path);
    goto out;
  }
  dims = g_strsplit (shape, ",", -1);
  for (i = 0; dims[i]; i++) {
    char *d = g_strstrip (dims[i]), *end;
    if (!*d)
      continue;
    if (s.ndim >= ILGNET_CAFFE_MAX_DIMS)
      goto corrupt;
    s.dim[s.ndim] = g_ascii_strtoll (d, &end, 10);
    if (*end || s.dim[s.ndim] < 0 || s.dim[s.ndim] > (1 << 24))
      goto corrupt;
    s.ndim++;
  }
  per = per_channel (&s, channels);
  if (!per) {
    bad_shape (path, &s, channels, error);
    goto out;
  }
  count = per * channels;
  if (count > (len - start) / width) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s: truncated .npy file", path);
    goto out;
  }
  for (c = 0; c < (guint64) channels; c++)
    mean[c] = npy_mean (data + start + c * per * width, width, per);
  ok = TRUE;
  goto out;

corrupt:
  g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
      "%s: corrupt .npy header", path);
out:
  g_strfreev (dims);
  g_free (hdr);
  g_free (descr);
  g_free (fortran);
  g_free (shape);
  return ok;
}

gboolean
ilgnet_caffe_mean_load (const char *path, int channels, float *mean,
    GError ** error)
{
  GMappedFile *map;
  GError *e = NULL;
  const guint8 *data;
  gsize len;
  gboolean ok;
  int c;

  map = g_mapped_file_new (path, FALSE, &e);
  if (!map) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO, "%s", e->message);
    g_error_free (e);
    return FALSE;
  }
  data = (const guint8 *) g_mapped_file_get_contents (map);
  len = g_mapped_file_get_length (map);
  if (len >= 6 && memcmp (data, "\x93NUMPY", 6) == 0)
    ok = load_npy (path, data, len, channels, mean, error);
  else
    ok = load_binaryproto (path, data, len, channels, mean, error);
  g_mapped_file_unref (map);
  for (c = 0; ok && c < channels; c++) {
    if (!(mean[c] > -1e6f && mean[c] < 1e6f)) {
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
          "%s: mean value %g is not plausible", path, mean[c]);
      ok = FALSE;
    }
  }
  return ok;
}
