/* Binary caffemodel reader.  The authors' files are over 500 MB, so the
 * file is mapped and each blob keeps a pointer to its packed floats; the
 * converter streams them straight to the output. */
#include "caffe-weights.h"
#include "ilgnet.h"

#include <string.h>

enum
{
  NET_LAYERS_V1 = 2,
  NET_LAYER = 100,
  LAYER_NAME = 1,
  LAYER_TYPE = 2,
  LAYER_BLOBS = 7,
  V1_NAME = 4,
  V1_TYPE = 5,
  V1_BLOBS = 6
};

struct _IlgnetCaffeWeights
{
  char *path;
  GMappedFile *map;
  GPtrArray *layers;            /* IlgnetCaffeWeightsLayer* */
  GHashTable *by_name;          /* name -> layer (not owned) */
};

/* V1LayerParameter.LayerType, by value. */
static const struct
{
  int value;
  const char *name;
} v1_types[] = {
  {0, "NONE"}, {35, "ABSVAL"}, {1, "ACCURACY"}, {30, "ARGMAX"}, {2, "BNLL"},
  {3, "CONCAT"}, {37, "CONTRASTIVE_LOSS"}, {4, "CONVOLUTION"}, {5, "DATA"},
  {39, "DECONVOLUTION"}, {6, "DROPOUT"}, {32, "DUMMY_DATA"},
  {7, "EUCLIDEAN_LOSS"}, {25, "ELTWISE"}, {38, "EXP"}, {8, "FLATTEN"},
  {9, "HDF5_DATA"}, {10, "HDF5_OUTPUT"}, {28, "HINGE_LOSS"}, {11, "IM2COL"},
  {12, "IMAGE_DATA"}, {13, "INFOGAIN_LOSS"}, {14, "INNER_PRODUCT"},
  {15, "LRN"}, {29, "MEMORY_DATA"}, {16, "MULTINOMIAL_LOGISTIC_LOSS"},
  {34, "MVN"}, {17, "POOLING"}, {26, "POWER"}, {18, "RELU"}, {19, "SIGMOID"},
  {27, "SIGMOID_CROSS_ENTROPY_LOSS"}, {36, "SILENCE"}, {20, "SOFTMAX"},
  {21, "SOFTMAX_LOSS"}, {22, "SPLIT"}, {33, "SLICE"}, {23, "TANH"},
  {24, "WINDOW_DATA"}, {31, "THRESHOLD"},
};

const char *
ilgnet_caffe_v1_type_name (guint64 value)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (v1_types); i++)
    if ((guint64) v1_types[i].value == value)
      return v1_types[i].name;
  return NULL;
}

static void
layer_free (gpointer data)
{
  IlgnetCaffeWeightsLayer *l = data;
  int i;

  for (i = 0; i < l->n_blobs; i++)
    ilgnet_caffe_blob_clear (&l->blobs[i]);
  g_free (l->blobs);
  g_free (l->name);
  g_free (l->type);
  g_free (l);
}

void
ilgnet_caffe_weights_free (IlgnetCaffeWeights * w)
{
  if (!w)
    return;
  g_hash_table_destroy (w->by_name);
  g_ptr_array_unref (w->layers);
  if (w->map)
    g_mapped_file_unref (w->map);
  g_free (w->path);
  g_free (w);
}

static gboolean
parse_layer (IlgnetWireReader * r, gboolean v1, IlgnetCaffeWeightsLayer * l,
    int index, GError ** error)
{
  IlgnetWireReader start = *r;
  IlgnetWireField f;
  GError *e = NULL;
  int n_blobs = 0;
  guint f_name = v1 ? V1_NAME : LAYER_NAME;
  guint f_blobs = v1 ? V1_BLOBS : LAYER_BLOBS;

  /* First pass: name, type and how many blobs. */
  while (ilgnet_wire_next (r, &f, &e)) {
    if (f.number == f_name && f.wire == ILGNET_WIRE_LEN) {
      g_free (l->name);
      l->name = g_strndup ((const char *) f.data, f.len);
    } else if (!v1 && f.number == LAYER_TYPE && f.wire == ILGNET_WIRE_LEN) {
      g_free (l->type);
      l->type = g_strndup ((const char *) f.data, f.len);
    } else if (v1 && f.number == V1_TYPE && f.wire == ILGNET_WIRE_VARINT) {
      const char *t = ilgnet_caffe_v1_type_name (f.value);
      g_free (l->type);
      l->type = t ? g_strdup (t) : g_strdup_printf ("%" G_GUINT64_FORMAT,
          f.value);
    } else if (f.number == f_blobs) {
      if (f.wire != ILGNET_WIRE_LEN) {
        g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
            "%s: layer %d: blob field has a bad encoding", r->what, index);
        return FALSE;
      }
      n_blobs++;
    }
  }
  if (e) {
    g_propagate_error (error, e);
    return FALSE;
  }
  if (!l->name || !g_utf8_validate (l->name, -1, NULL)) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s: layer %d has no valid name", r->what, index);
    return FALSE;
  }
  if (!l->type)
    l->type = g_strdup ("");
  l->blobs = g_new0 (IlgnetCaffeBlob, MAX (n_blobs, 1));

  *r = start;
  while (ilgnet_wire_next (r, &f, NULL)) {
    IlgnetWireReader sub;
    char *what;
    gboolean ok;
    if (f.number != f_blobs)
      continue;
    ilgnet_wire_reader_sub (r, &f, &sub);
    what = g_strdup_printf ("layer '%s' blob %d", l->name, l->n_blobs);
    ok = ilgnet_caffe_blob_parse (&sub, &l->blobs[l->n_blobs], what, error);
    g_free (what);
    if (!ok)
      return FALSE;
    l->n_blobs++;
  }
  return TRUE;
}

static gboolean
looks_like_text (const guint8 * p, gsize len)
{
  gsize i, n = MIN (len, 256);

  for (i = 0; i < n; i++)
    if (!g_ascii_isprint (p[i]) && !g_ascii_isspace (p[i]))
      return FALSE;
  return n > 0;
}

IlgnetCaffeWeights *
ilgnet_caffe_weights_open (const char *path, GError ** error)
{
  IlgnetCaffeWeights *w = g_new0 (IlgnetCaffeWeights, 1);
  IlgnetWireReader r;
  IlgnetWireField f;
  GError *e = NULL;
  const guint8 *base;
  gsize len;

  w->path = g_strdup (path);
  w->layers = g_ptr_array_new_with_free_func (layer_free);
  w->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO, "%s: is a directory",
        path);
    goto fail;
  }
  w->map = g_mapped_file_new (path, FALSE, &e);
  if (!w->map) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO, "%s: %s", path,
        e->message);
    g_error_free (e);
    goto fail;
  }
  base = (const guint8 *) g_mapped_file_get_contents (w->map);
  len = g_mapped_file_get_length (w->map);
  ilgnet_wire_reader_init (&r, base, base, len, path);
  while (ilgnet_wire_next (&r, &f, &e)) {
    IlgnetWireReader sub;
    IlgnetCaffeWeightsLayer *l;
    gboolean v1 = f.number == NET_LAYERS_V1;
    if ((f.number != NET_LAYER && !v1) || f.wire != ILGNET_WIRE_LEN)
      continue;
    l = g_new0 (IlgnetCaffeWeightsLayer, 1);
    g_ptr_array_add (w->layers, l);
    ilgnet_wire_reader_sub (&r, &f, &sub);
    if (!parse_layer (&sub, v1, l, w->layers->len - 1, error))
      goto fail;
    g_hash_table_insert (w->by_name, l->name, l);
  }
  if (e) {
    /* A prototxt passed by mistake fails here; say so. */
    if (looks_like_text (base, len)) {
      g_clear_error (&e);
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
          "%s: not a binary caffemodel (it looks like a text file)", path);
    } else {
      g_propagate_error (error, e);
    }
    goto fail;
  }
  if (w->layers->len == 0) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s: no layers found; not a binary caffemodel", path);
    goto fail;
  }
  return w;

fail:
  /* Layer names quoted from the file may hold any byte: control
   * characters shown as '?' keep the error one line (found by
   * fuzz-caffemodel). */
  if (error && *error) {
    char *c;

    for (c = (*error)->message; *c; c++)
      if ((unsigned char) *c < 0x20 || *c == 0x7f)
        *c = '?';
  }
  ilgnet_caffe_weights_free (w);
  return NULL;
}

const IlgnetCaffeWeightsLayer *
ilgnet_caffe_weights_find (const IlgnetCaffeWeights * w, const char *name)
{
  return g_hash_table_lookup (w->by_name, name);
}

const char *
ilgnet_caffe_weights_get_path (const IlgnetCaffeWeights * w)
{
  return w->path;
}

guint64
ilgnet_caffe_weights_get_size (const IlgnetCaffeWeights * w)
{
  return g_mapped_file_get_length (w->map);
}
