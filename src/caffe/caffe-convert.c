/* The converter: checks each prototxt layer's parameter blobs against the
 * caffemodel, turns Caffe conventions into the .ilgnet ones (BatchNorm's
 * moving-average factor divided out, transposed InnerProduct weights put
 * back to [O, K]) and writes the header and tensors. */
#include "caffe-convert.h"
#include "caffe-mean.h"
#include "caffe-net.h"
#include "caffe-weights.h"
#include "ilgnet-layer.h"

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

/* Where a tensor's values come from: a caffemodel blob times @mul, or an
 * array of our own. */
typedef struct
{
  const IlgnetCaffeBlob *blob;
  float mul;
  float *values;
} Source;

static void
source_free (gpointer data)
{
  Source *s = data;
  g_free (s->values);
  g_free (s);
}

static void
source_read (gconstpointer data, guint64 start, gsize n, float *dst)
{
  const Source *s = data;
  gsize i;

  if (s->values) {
    memcpy (dst, s->values + start, n * sizeof (float));
    return;
  }
  ilgnet_caffe_blob_read (s->blob, start, n, dst);
  if (s->mul != 1.0f)
    for (i = 0; i < n; i++)
      dst[i] *= s->mul;
}

void
ilgnet_convert_options_init (IlgnetConvertOptions * opts)
{
  memset (opts, 0, sizeof *opts);
  opts->store = ILGNET_STORE_F32;
  opts->mean_bgr[0] = 91.00;
  opts->mean_bgr[1] = 99.46;
  opts->mean_bgr[2] = 107.85;
  opts->scale = 1.0;
  opts->resize = "squash";
  opts->high_index = 1;
  opts->architecture = "ilgnet";
}

typedef struct
{
  const char *prototxt, *caffemodel;
  const IlgnetConvertOptions *opts;
  IlgnetCaffeNet *net;
  IlgnetCaffeWeights *weights;
  IlgnetModelWriter *writer;
  GPtrArray *sources;
  GHashTable *alias;            /* stripped Dropout top -> its bottom */
} Conv;

/* The spelling of a caffemodel layer type in .ilgnet terms (V1 enum names
 * as the registry knows them), for the prototxt/caffemodel type check. */
static const char *
normal_type (const char *t)
{
  const IlgnetLayerClass *k = ilgnet_layer_class_find_caffe_v1 (t);

  return k ? k->type : t;
}

static const char *
resolve (Conv * c, const char *blob)
{
  const char *a;
  while ((a = g_hash_table_lookup (c->alias, blob)))
    blob = a;
  return blob;
}

static JsonArray *
pair (const int v[2])
{
  JsonArray *a = json_array_new ();
  json_array_add_int_element (a, v[0]);
  json_array_add_int_element (a, v[1]);
  return a;
}

static JsonObject *
layer_params (const IlgnetCaffeLayer * l)
{
  JsonObject *p = json_object_new ();
  int i;

  switch (l->kind) {
    case ILGNET_CAFFE_CONVOLUTION:
      json_object_set_int_member (p, "num_output", l->num_output);
      json_object_set_array_member (p, "kernel", pair (l->kernel));
      json_object_set_array_member (p, "stride", pair (l->stride));
      json_object_set_array_member (p, "pad", pair (l->pad));
      json_object_set_array_member (p, "dilation", pair (l->dilation));
      json_object_set_int_member (p, "group", l->group);
      json_object_set_boolean_member (p, "bias_term", l->bias_term);
      break;
    case ILGNET_CAFFE_INNER_PRODUCT:
      json_object_set_int_member (p, "num_output", l->num_output);
      json_object_set_boolean_member (p, "bias_term", l->bias_term);
      json_object_set_int_member (p, "axis", 1);
      break;
    case ILGNET_CAFFE_POOLING:
      json_object_set_string_member (p, "pool", l->pool_max ? "max" : "ave");
      json_object_set_array_member (p, "kernel", pair (l->kernel));
      json_object_set_array_member (p, "stride", pair (l->stride));
      json_object_set_array_member (p, "pad", pair (l->pad));
      json_object_set_boolean_member (p, "global", l->global);
      break;
    case ILGNET_CAFFE_LRN:
      json_object_set_int_member (p, "local_size", l->local_size);
      json_object_set_double_member (p, "alpha", l->alpha);
      json_object_set_double_member (p, "beta", l->beta);
      /* Caffe's WITHIN_CHANNEL LRN ignores k and always adds 1. */
      json_object_set_double_member (p, "k", l->within ? 1.0 : l->k);
      json_object_set_string_member (p, "region",
          l->within ? "within" : "across");
      break;
    case ILGNET_CAFFE_RELU:
      json_object_set_double_member (p, "negative_slope", l->negative_slope);
      break;
    case ILGNET_CAFFE_PRELU:
      json_object_set_boolean_member (p, "channel_shared", l->channel_shared);
      break;
    case ILGNET_CAFFE_CONCAT:
    case ILGNET_CAFFE_SOFTMAX:
      json_object_set_int_member (p, "axis", 1);
      break;
    case ILGNET_CAFFE_BATCH_NORM:
      json_object_set_double_member (p, "eps", l->eps);
      break;
    case ILGNET_CAFFE_SCALE:
      json_object_set_boolean_member (p, "bias_term", l->bias_term);
      break;
    case ILGNET_CAFFE_ELTWISE:{
      static const char *ops[] = { "prod", "sum", "max" };
      json_object_set_string_member (p, "operation", ops[l->eltwise_op]);
      if (l->n_coeff) {
        JsonArray *a = json_array_new ();
        for (i = 0; i < l->n_coeff; i++)
          json_array_add_double_element (a, l->coeff[i]);
        json_object_set_array_member (p, "coeff", a);
      }
      break;
    }
    case ILGNET_CAFFE_INPUT:
    case ILGNET_CAFFE_DROPOUT:
    case ILGNET_CAFFE_FLATTEN:
    case ILGNET_CAFFE_ELEMENTWISE:
      break;
  }
  return p;
}

static const char *const blob_names[][ILGNET_CAFFE_MAX_BLOBS] = {
  [ILGNET_CAFFE_CONVOLUTION] = {"weight", "bias"},
  [ILGNET_CAFFE_INNER_PRODUCT] = {"weight", "bias"},
  [ILGNET_CAFFE_PRELU] = {"slope"},
  [ILGNET_CAFFE_BATCH_NORM] = {"mean", "variance", "factor"},
  [ILGNET_CAFFE_SCALE] = {"scale", "bias"},
};

/* A transposed InnerProduct weight is stored [K, O]; the format wants
 * [O, K].  Only this tensor is copied, to transpose it.  FALSE when out of
 * memory. */
static gboolean
transpose_source (Source * s, IlgnetCaffeShape * shape)
{
  gint64 k = shape->dim[0], o = shape->dim[1], r, j;
  float *col = g_try_new (float, k * o);
  float *row;

  if (!col)
    return FALSE;
  row = g_new (float, o);
  for (r = 0; r < k; r++) {
    ilgnet_caffe_blob_read (s->blob, r * o, o, row);
    for (j = 0; j < o; j++)
      col[j * k + r] = row[j];
  }
  g_free (row);
  s->values = col;
  shape->dim[0] = o;
  shape->dim[1] = k;
  return TRUE;
}

/* Checks the caffemodel's blobs for @l and registers its tensors; their
 * names go to @names. */
static gboolean
add_layer_tensors (Conv * c, const IlgnetCaffeLayer * l, JsonArray * names,
    GError ** error)
{
  const IlgnetCaffeWeightsLayer *wl;
  const char *wtype;
  float bn_mul = 1.0f;
  int i, n_tensors = l->n_params;

  wl = ilgnet_caffe_weights_find (c->weights, l->name);
  if (!wl) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s: no weights for layer '%s' (%s) of %s; the files do not belong "
        "together", c->caffemodel, l->name, l->type_name, c->prototxt);
    return FALSE;
  }
  wtype = normal_type (wl->type);
  if (wtype[0] && strcmp (wtype, l->type_name) != 0) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "layer '%s' is %s in %s but %s in %s", l->name, l->type_name,
        c->prototxt, wtype, c->caffemodel);
    return FALSE;
  }
  if (wl->n_blobs != l->n_params) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_SHAPE,
        "layer '%s' (%s): %s has %d blobs, %s needs %d", l->name,
        l->type_name, c->caffemodel, wl->n_blobs, c->prototxt, l->n_params);
    return FALSE;
  }
  for (i = 0; i < l->n_params; i++) {
    char have[160], want[160];
    if (!ilgnet_caffe_shape_equivalent (&wl->blobs[i].shape,
            &l->param_shape[i])) {
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_SHAPE,
          "layer '%s' (%s) %s: %s has shape %s, %s needs %s", l->name,
          l->type_name, blob_names[l->kind][i], c->caffemodel,
          ilgnet_caffe_shape_str (&wl->blobs[i].shape, have, sizeof have),
          c->prototxt, ilgnet_caffe_shape_str (&l->param_shape[i], want,
              sizeof want));
      return FALSE;
    }
  }

  if (l->kind == ILGNET_CAFFE_BATCH_NORM) {
    /* Caffe accumulates unnormalized sums; the third blob is the factor
     * to divide them by (0 means no statistics: use 0). */
    float factor;
    ilgnet_caffe_blob_read (&wl->blobs[2], 0, 1, &factor);
    if (!isfinite (factor)) {
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
          "layer '%s': moving-average factor is not finite", l->name);
      return FALSE;
    }
    bn_mul = factor == 0.0f ? 0.0f : 1.0f / factor;
    n_tensors = 2;
  }

  for (i = 0; i < n_tensors; i++) {
    Source *s = g_new0 (Source, 1);
    char *tname = g_strdup_printf ("%s.%s", l->name, blob_names[l->kind][i]);
    IlgnetCaffeShape shape = l->param_shape[i];
    IlgnetStoreType store = ILGNET_STORE_F32;

    g_ptr_array_add (c->sources, s);
    s->blob = &wl->blobs[i];
    s->mul = l->kind == ILGNET_CAFFE_BATCH_NORM ? bn_mul : 1.0f;
    if ((l->kind == ILGNET_CAFFE_CONVOLUTION
            || l->kind == ILGNET_CAFFE_INNER_PRODUCT) && i == 0)
      store = c->opts->store;
    if (l->kind == ILGNET_CAFFE_INNER_PRODUCT && i == 0 && l->transpose
        && !transpose_source (s, &shape)) {
      g_free (tname);
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO, "layer '%s': out "
          "of memory", l->name);
      return FALSE;
    }
    ilgnet_model_writer_add_tensor (c->writer, tname, shape.dim, shape.ndim,
        store, source_read, s);
    json_array_add_string_element (names, tname);
    g_free (tname);
  }
  return TRUE;
}

static JsonArray *
string_array (Conv * c, char **v)
{
  JsonArray *a = json_array_new ();
  for (; *v; v++)
    json_array_add_string_element (a, resolve (c, *v));
  return a;
}

static gboolean
build_layers (Conv * c, JsonArray * out, const char **last_top,
    GError ** error)
{
  guint i;

  for (i = 0; i < c->net->layers->len; i++) {
    const IlgnetCaffeLayer *l = g_ptr_array_index (c->net->layers, i);
    JsonObject *o;
    JsonArray *names;

    if (l->kind == ILGNET_CAFFE_DROPOUT && c->opts->strip_dropout) {
      if (strcmp (l->top[0], l->bottom[0]) != 0)
        g_hash_table_insert (c->alias, l->top[0], l->bottom[0]);
      continue;
    }
    names = json_array_new ();
    if (l->n_params && !add_layer_tensors (c, l, names, error)) {
      json_array_unref (names);
      return FALSE;
    }
    o = json_object_new ();
    json_object_set_string_member (o, "name", l->name);
    json_object_set_string_member (o, "type", l->type_name);
    json_object_set_array_member (o, "bottom", string_array (c, l->bottom));
    json_object_set_array_member (o, "top", string_array (c, l->top));
    json_object_set_array_member (o, "blobs", names);
    json_object_set_object_member (o, "param", layer_params (l));
    json_array_add_object_element (out, o);
    *last_top = l->top[0];
  }
  return TRUE;
}

static const IlgnetCaffeShape *
blob_shape (Conv * c, const char *blob)
{
  const IlgnetCaffeShape *s = NULL;
  guint i;

  for (i = 0; i < c->net->layers->len; i++) {
    const IlgnetCaffeLayer *l = g_ptr_array_index (c->net->layers, i);
    if (!strcmp (l->top[0], blob))
      s = &l->out_shape;
  }
  return s;
}

static char *
strip_suffix (const char *path)
{
  char *base = g_path_get_basename (path);
  char *dot = strrchr (base, '.');
  if (dot && dot != base)
    *dot = '\0';
  return base;
}

static gboolean
check_options (const IlgnetConvertOptions * opts, GError ** error)
{
  if (strcmp (opts->resize, "squash") && strcmp (opts->resize, "center")
      && strcmp (opts->resize, "letterbox")) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
        "resize must be squash, center or letterbox, not \"%s\"",
        opts->resize);
    return FALSE;
  }
  if (!(opts->scale > 0 && isfinite (opts->scale))) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
        "scale must be a positive number");
    return FALSE;
  }
  return TRUE;
}

/* The per-plane mean, in the net's plane order. */
static gboolean
load_mean (const IlgnetConvertOptions * opts, double mean[3], GError ** error)
{
  float m[3];
  int i;

  if (!opts->mean_file) {
    for (i = 0; i < 3; i++)
      mean[i] = opts->rgb ? opts->mean_bgr[2 - i] : opts->mean_bgr[i];
    return TRUE;
  }
  if (!ilgnet_caffe_mean_load (opts->mean_file, 3, m, error))
    return FALSE;
  for (i = 0; i < 3; i++)
    mean[i] = m[i];
  return TRUE;
}

/* The header's "output": the chosen blob (after stripped Dropouts) and a
 * high index inside it. */
static JsonObject *
output_json (Conv * c, const char *last_top, GError ** error)
{
  const IlgnetConvertOptions *opts = c->opts;
  const char *blob = resolve (c, opts->output_blob ? opts->output_blob :
      last_top);
  const IlgnetCaffeShape *shape = blob_shape (c, blob);
  JsonObject *o;

  if (!shape) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
        "output blob '%s' is not produced by any layer of %s", blob,
        c->prototxt);
    return NULL;
  }
  if (opts->high_index < 0
      || (guint64) opts->high_index >= ilgnet_caffe_shape_count (shape)) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
        "high index %d is outside output blob '%s' (%" G_GUINT64_FORMAT
        " values)", opts->high_index, blob, ilgnet_caffe_shape_count (shape));
    return NULL;
  }
  o = json_object_new ();
  json_object_set_string_member (o, "blob", blob);
  json_object_set_int_member (o, "high_index", opts->high_index);
  return o;
}

static JsonObject *
input_json (Conv * c, const double mean[3])
{
  JsonObject *input = json_object_new ();
  JsonArray *a = json_array_new ();
  int i;

  json_object_set_string_member (input, "blob", c->net->input_blob);
  for (i = 1; i < 4; i++)
    json_array_add_int_element (a, c->net->input_shape.dim[i]);
  json_object_set_array_member (input, "shape", a);
  json_object_set_string_member (input, "channel_order",
      c->opts->rgb ? "rgb" : "bgr");
  a = json_array_new ();
  for (i = 0; i < 3; i++)
    json_array_add_double_element (a, mean[i]);
  json_object_set_array_member (input, "mean", a);
  json_object_set_double_member (input, "scale", c->opts->scale);
  json_object_set_string_member (input, "resize", c->opts->resize);
  return input;
}

/* format, version and the descriptive strings, defaults derived from the
 * file names */
static JsonObject *
header_json (Conv * c)
{
  const IlgnetConvertOptions *opts = c->opts;
  JsonObject *header = json_object_new ();
  char *base_m = g_path_get_basename (c->caffemodel);
  char *base_p = g_path_get_basename (c->prototxt);
  char *name = opts->name ? g_strdup (opts->name) :
      strip_suffix (c->caffemodel);
  char *desc = opts->description ? g_strdup (opts->description) :
      g_strdup_printf ("%s, converted from Caffe",
      c->net->name ? c->net->name : base_p);
  char *prov = opts->provenance ? g_strdup (opts->provenance) :
      g_strdup_printf ("ilgnet-convert from %s (%" G_GUINT64_FORMAT
      " bytes) and %s", base_m, ilgnet_caffe_weights_get_size (c->weights),
      base_p);

  json_object_set_string_member (header, "format", "ilgnet");
  json_object_set_int_member (header, "version", ILGNET_FORMAT_VERSION);
  json_object_set_string_member (header, "name", name);
  json_object_set_string_member (header, "architecture", opts->architecture);
  json_object_set_string_member (header, "description", desc);
  json_object_set_string_member (header, "provenance", prov);
  g_free (name);
  g_free (desc);
  g_free (prov);
  g_free (base_m);
  g_free (base_p);
  return header;
}

static void
fill_stats (Conv * c, const char *output, IlgnetConvertStats * stats)
{
  GStatBuf st;
  guint i;

  stats->n_layers = 0;
  for (i = 0; i < c->net->layers->len; i++) {
    const IlgnetCaffeLayer *l = g_ptr_array_index (c->net->layers, i);
    stats->n_layers += !(c->opts->strip_dropout
        && l->kind == ILGNET_CAFFE_DROPOUT);
  }
  stats->n_params = ilgnet_model_writer_get_n_values (c->writer);
  stats->file_size = g_stat (output, &st) == 0 ? (guint64) st.st_size : 0;
}

/* Everything of the header but the tensors, which the writer adds. */
static JsonObject *
build_header (Conv * c, GError ** error)
{
  JsonArray *layers = json_array_new ();
  JsonObject *header, *outobj;
  const char *last_top = NULL;
  double mean[3];

  if (!load_mean (c->opts, mean, error)
      || !build_layers (c, layers, &last_top, error)
      || !(outobj = output_json (c, last_top, error))) {
    json_array_unref (layers);
    return NULL;
  }
  header = header_json (c);
  json_object_set_object_member (header, "input", input_json (c, mean));
  json_object_set_object_member (header, "output", outobj);
  json_object_set_array_member (header, "layers", layers);
  return header;
}

gboolean
ilgnet_caffe_convert (const char *prototxt, const char *caffemodel,
    const char *output, const IlgnetConvertOptions * opts,
    IlgnetConvertStats * stats, GError ** error)
{
  Conv c = { 0 };
  JsonObject *header = NULL;
  gboolean ok = FALSE;

  if (!check_options (opts, error))
    return FALSE;
  c.prototxt = prototxt;
  c.caffemodel = caffemodel;
  c.opts = opts;
  c.sources = g_ptr_array_new_with_free_func (source_free);
  c.alias = g_hash_table_new (g_str_hash, g_str_equal);
  c.writer = ilgnet_model_writer_new ();

  if ((c.net = ilgnet_caffe_net_load (prototxt, error))
      && (c.weights = ilgnet_caffe_weights_open (caffemodel, error))
      && (header = build_header (&c, error))
      && ilgnet_model_writer_write (c.writer, header, output, error)) {
    if (stats)
      fill_stats (&c, output, stats);
    ok = TRUE;
  }

  if (header)
    json_object_unref (header);
  ilgnet_model_writer_free (c.writer);
  g_ptr_array_unref (c.sources);
  g_hash_table_destroy (c.alias);
  ilgnet_caffe_weights_free (c.weights);
  ilgnet_caffe_net_free (c.net);
  return ok;
}
