/* The JSON header of a .ilgnet file, all but its layers (model-graph.c):
 * format and version, the string fields, the data section, the input
 * spec, the tensor table and the output.  Each offset, length and count is
 * bounded and overflow-checked, since a fuzzer mutates these files. */
#include "ilgnet-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DIM ((gint64) 1 << 31)
#define MAX_TENSOR_ELEMENTS ((guint64) 1 << 34)
#define MAX_TENSORS 100000

static int
compare_tensor_offset (gconstpointer a, gconstpointer b)
{
  const IlgnetTensor *ta = *(const IlgnetTensor * const *) a;
  const IlgnetTensor *tb = *(const IlgnetTensor * const *) b;
  return ta->offset < tb->offset ? -1 : ta->offset > tb->offset;
}

/* A member that must be a JSON object (NULL when it is not). */
static JsonObject *
get_object (JsonObject * obj, const char *key)
{
  JsonNode *n = json_object_get_member (obj, key);
  return n && JSON_NODE_TYPE (n) == JSON_NODE_OBJECT ?
      json_node_get_object (n) : NULL;
}

const IlgnetTensor *
ilgnet_model_find_tensor (const IlgnetModel * model, const char *name)
{
  int i;

  for (i = 0; i < model->n_tensors; i++)
    if (strcmp (model->tensors[i].name, name) == 0)
      return &model->tensors[i];
  return NULL;
}

/* ---- Format, fields, data section ---------------------------------------- */

static gboolean
check_format (JsonObject * root, GError ** error)
{
  gint64 v;

  if (g_strcmp0 (ilgnet_json_get_string (root, "format", NULL), "ilgnet"))
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "header \"format\" is not \"ilgnet\"");
  if (!ilgnet_json_get_int (root, "version", 0, G_MAXINT, &v, TRUE, "header",
          error))
    return FALSE;
  if (v != ILGNET_FORMAT_VERSION)
    ILGNET_FAIL (ILGNET_ERROR_UNSUPPORTED, "header version %" G_GINT64_FORMAT
        " is not supported", v);
  return TRUE;
}

/* Every string member is exposed through ilgnet_model_get_field(). */
static void
read_fields (IlgnetModel * model, JsonObject * root)
{
  JsonObjectIter iter;
  const char *key;
  JsonNode *node;

  json_object_iter_init (&iter, root);
  while (json_object_iter_next (&iter, &key, &node)) {
    if (JSON_NODE_TYPE (node) == JSON_NODE_VALUE
        && json_node_get_value_type (node) == G_TYPE_STRING)
      g_hash_table_insert (model->fields, g_strdup (key),
          g_strdup (json_node_get_string (node)));
  }
  model->name = g_hash_table_lookup (model->fields, "name");
  if (!model->name) {
    model->name = g_path_get_basename (model->path);
    g_hash_table_insert (model->fields, g_strdup ("name"), model->name);
  }
}

static gboolean
locate_data (IlgnetModel * model, JsonObject * root, gsize header_len,
    GError ** error)
{
  gint64 v;

  if (!ilgnet_json_get_int (root, "data_size", 0, G_MAXINT64, &v, TRUE,
          "header", error))
    return FALSE;
  model->data_size = v;
  if (model->data_size != model->map_size - ILGNET_PREAMBLE_SIZE - header_len)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "file is %" G_GSIZE_FORMAT " bytes but "
        "the header announces %" G_GUINT64_FORMAT " bytes of data after %"
        G_GSIZE_FORMAT " (truncated or padded)", model->map_size,
        model->data_size, ILGNET_PREAMBLE_SIZE + header_len);
  model->data = model->map + ILGNET_PREAMBLE_SIZE + header_len;
  return TRUE;
}

/* ---- Input --------------------------------------------------------------- */

static gboolean
parse_input_shape (IlgnetModel * model, JsonObject * in, GError ** error)
{
  JsonNode *node = json_object_get_member (in, "shape");
  JsonArray *arr;
  int dims[3];
  guint i;

  if (!node || JSON_NODE_TYPE (node) != JSON_NODE_ARRAY
      || json_array_get_length (json_node_get_array (node)) != 3)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "\"input\" \"shape\" must be [C, H, W]");
  arr = json_node_get_array (node);
  for (i = 0; i < 3; i++) {
    JsonNode *d = json_array_get_element (arr, i);
    if (JSON_NODE_TYPE (d) != JSON_NODE_VALUE
        || json_node_get_value_type (d) != G_TYPE_INT64
        || json_node_get_int (d) < 1 || json_node_get_int (d) > 16384)
      ILGNET_FAIL (ILGNET_ERROR_FORMAT, "\"input\" \"shape\" has a bad "
          "dimension");
    dims[i] = json_node_get_int (d);
  }
  if (dims[0] > 4096)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "\"input\" has too many channels");
  model->input.channels = dims[0];
  model->input.height = dims[1];
  model->input.width = dims[2];
  return TRUE;
}

static gboolean
parse_input_mean (IlgnetModel * model, JsonObject * in, GError ** error)
{
  JsonNode *node = json_object_get_member (in, "mean");
  JsonArray *arr;
  guint i;

  if (!node)
    return TRUE;
  if (JSON_NODE_TYPE (node) != JSON_NODE_ARRAY
      || json_array_get_length (json_node_get_array (node)) != 3)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "\"input\" \"mean\" must hold 3 numbers");
  arr = json_node_get_array (node);
  for (i = 0; i < 3; i++) {
    JsonNode *d = json_array_get_element (arr, i);
    if (JSON_NODE_TYPE (d) != JSON_NODE_VALUE
        || (json_node_get_value_type (d) != G_TYPE_INT64
            && json_node_get_value_type (d) != G_TYPE_DOUBLE))
      ILGNET_FAIL (ILGNET_ERROR_FORMAT, "\"input\" \"mean\" must hold 3 "
          "numbers");
    model->input.mean[i] = json_node_get_double (d);
  }
  return TRUE;
}

/* channel_order, resize and scale */
static gboolean
parse_input_options (IlgnetModel * model, JsonObject * in, GError ** error)
{
  static const char *const orders[] = { "bgr", "rgb", NULL };
  /* in the order of IlgnetResize */
  static const char *const resizes[] = { "squash", "center", "letterbox",
    NULL
  };
  double scale = 1.0;
  int order, resize;

  if (!ilgnet_json_get_choice (in, "channel_order", orders, 0, &order,
          "\"input\"", error)
      || !ilgnet_json_get_choice (in, "resize", resizes, 0, &resize,
          "\"input\"", error))
    return FALSE;
  model->input.bgr = order == 0;
  model->resize = resize;
  if (!ilgnet_json_get_number (in, "scale", &scale, FALSE, "input", error))
    return FALSE;
  if (!(scale > 0 && scale < 1e6))
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "\"input\" \"scale\" must be positive");
  model->input.scale = scale;
  return TRUE;
}

static gboolean
parse_input (IlgnetModel * model, JsonObject * root, const char **blob,
    GError ** error)
{
  JsonObject *in = get_object (root, "input");

  if (!in)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "header has no \"input\" object");
  *blob = ilgnet_json_get_string (in, "blob", NULL);
  if (!*blob)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "\"input\" has no \"blob\" name");
  return parse_input_shape (model, in, error)
      && parse_input_mean (model, in, error)
      && parse_input_options (model, in, error);
}

/* ---- Tensors ------------------------------------------------------------- */

/* dtype and shape */
static gboolean
parse_tensor_type (IlgnetTensor * t, JsonObject * obj, guint64 * esize,
    GError ** error)
{
  static const char *const dtypes[] = { "f32", "f16", "i8", NULL };
  static const guint64 sizes[] = { 4, 2, 1 };
  const char *name = t->name;
  JsonNode *node;
  JsonArray *shape;
  int dtype;
  guint i;

  if (!ilgnet_json_get_string (obj, "dtype", NULL))
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "tensor \"%s\" has no dtype", name);
  if (!ilgnet_json_get_choice (obj, "dtype", dtypes, 0, &dtype, name, error))
    return FALSE;
  t->dtype = dtype;             /* in the order of IlgnetDtype */
  *esize = sizes[dtype];
  node = json_object_get_member (obj, "shape");
  if (!node || JSON_NODE_TYPE (node) != JSON_NODE_ARRAY)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "tensor \"%s\" has no shape array",
        name);
  shape = json_node_get_array (node);
  t->ndim = json_array_get_length (shape);
  if (t->ndim < 1 || t->ndim > ILGNET_MAX_DIMS)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "tensor \"%s\" has %d dimensions (1 to "
        "4 allowed)", name, t->ndim);
  t->n_elements = 1;
  for (i = 0; i < (guint) t->ndim; i++) {
    JsonNode *d = json_array_get_element (shape, i);
    if (JSON_NODE_TYPE (d) != JSON_NODE_VALUE
        || json_node_get_value_type (d) != G_TYPE_INT64
        || json_node_get_int (d) < 1 || json_node_get_int (d) > MAX_DIM)
      ILGNET_FAIL (ILGNET_ERROR_FORMAT, "tensor \"%s\" has a bad dimension "
          "%u", name, i);
    t->shape[i] = json_node_get_int (d);
    t->n_elements *= t->shape[i];
    if (t->n_elements > MAX_TENSOR_ELEMENTS)
      ILGNET_FAIL (ILGNET_ERROR_FORMAT, "tensor \"%s\" is too large", name);
  }
  return TRUE;
}

/* where its bytes are */
static gboolean
parse_tensor_place (IlgnetModel * model, IlgnetTensor * t, JsonObject * obj,
    guint64 esize, GError ** error)
{
  const char *name = t->name;
  gint64 offset, nbytes;

  if (!ilgnet_json_get_int (obj, "offset", 0, G_MAXINT64, &offset, TRUE,
          name, error)
      || !ilgnet_json_get_int (obj, "nbytes", 0, G_MAXINT64, &nbytes, TRUE,
          name, error))
    return FALSE;
  t->offset = offset;
  t->nbytes = nbytes;
  if (t->nbytes != t->n_elements * esize)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "tensor \"%s\": nbytes %"
        G_GUINT64_FORMAT " does not match its shape and dtype (%"
        G_GUINT64_FORMAT ")", name, t->nbytes, t->n_elements * esize);
  if (t->offset % ILGNET_TENSOR_ALIGN != 0)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "tensor \"%s\": offset %"
        G_GUINT64_FORMAT " is not %d-byte aligned", name, t->offset,
        ILGNET_TENSOR_ALIGN);
  if (t->offset > model->data_size || t->nbytes > model->data_size - t->offset)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "tensor \"%s\" (offset %"
        G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT " bytes) lies outside the %"
        G_GUINT64_FORMAT "-byte data section", name, t->offset, t->nbytes,
        model->data_size);
  t->data = model->data + t->offset;
  return TRUE;
}

static gboolean
parse_tensors (IlgnetModel * model, JsonObject * tobj, GError ** error)
{
  JsonObjectIter iter;
  const char *key;
  JsonNode *node;
  int i = 0;

  model->n_tensors = json_object_get_size (tobj);
  if (model->n_tensors > MAX_TENSORS)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "header lists too many tensors");
  model->tensors = g_new0 (IlgnetTensor, MAX (model->n_tensors, 1));
  json_object_iter_init (&iter, tobj);
  while (json_object_iter_next (&iter, &key, &node)) {
    IlgnetTensor *t = &model->tensors[i++];
    guint64 esize;
    t->name = g_strdup (key);
    if (JSON_NODE_TYPE (node) != JSON_NODE_OBJECT)
      ILGNET_FAIL (ILGNET_ERROR_FORMAT, "tensor \"%s\" is not an object", key);
    if (!parse_tensor_type (t, json_node_get_object (node), &esize, error)
        || !parse_tensor_place (model, t, json_node_get_object (node), esize,
            error))
      return FALSE;
  }
  return TRUE;
}

/* The f32 scales of each i8 tensor (counted once per reference target). */
static gboolean
link_scales (IlgnetModel * model, JsonObject * tobj, GError ** error)
{
  int i;

  for (i = 0; i < model->n_tensors; i++) {
    IlgnetTensor *t = &model->tensors[i];
    JsonObject *obj = get_object (tobj, t->name);
    const char *sname = ilgnet_json_get_string (obj, "scales", NULL);
    const IlgnetTensor *s;
    if (t->dtype != ILGNET_DTYPE_I8) {
      if (json_object_has_member (obj, "scales"))
        ILGNET_FAIL (ILGNET_ERROR_FORMAT, "tensor \"%s\" is not i8 but has "
            "scales", t->name);
      continue;
    }
    if (!sname)
      ILGNET_FAIL (ILGNET_ERROR_FORMAT, "i8 tensor \"%s\" has no \"scales\"",
          t->name);
    s = ilgnet_model_find_tensor (model, sname);
    if (!s || s->dtype != ILGNET_DTYPE_F32 || s->ndim != 1
        || s->shape[0] != t->shape[0])
      ILGNET_FAIL (ILGNET_ERROR_FORMAT, "i8 tensor \"%s\": scales \"%s\" must "
          "be an f32 tensor of shape [%" G_GINT64_FORMAT "]", t->name, sname,
          t->shape[0]);
    t->scales = s;
    ((IlgnetTensor *) s)->is_scales = TRUE;
  }
  return TRUE;
}

static gboolean
check_scales (IlgnetModel * model, GError ** error)
{
  int i;

  for (i = 0; i < model->n_tensors; i++) {
    IlgnetTensor *t = &model->tensors[i];
    if (t->scales) {
      /* NaN/inf scales would poison every score; reject them here */
      const float *sc = t->scales->data;
      gint64 j;
      for (j = 0; j < t->shape[0]; j++)
        if (!isfinite (sc[j]))
          ILGNET_FAIL (ILGNET_ERROR_FORMAT, "tensor \"%s\" has a non-finite "
              "scale", t->name);
    }
    if ((t->scales && t->scales->dtype == ILGNET_DTYPE_I8)
        || (t->is_scales && t->dtype == ILGNET_DTYPE_I8))
      ILGNET_FAIL (ILGNET_ERROR_FORMAT, "tensor \"%s\": bad scales", t->name);
    if (!t->is_scales)
      model->n_params += t->n_elements;
  }
  return TRUE;
}

/* No two tensors may share bytes. */
static gboolean
check_overlap (IlgnetModel * model, GError ** error)
{
  IlgnetTensor **sorted = g_new (IlgnetTensor *, MAX (model->n_tensors, 1));
  int i;

  for (i = 0; i < model->n_tensors; i++)
    sorted[i] = &model->tensors[i];
  qsort (sorted, model->n_tensors, sizeof (*sorted), compare_tensor_offset);
  for (i = 1; i < model->n_tensors; i++) {
    if (sorted[i - 1]->offset + sorted[i - 1]->nbytes > sorted[i]->offset) {
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
          "tensors \"%s\" and \"%s\" overlap", sorted[i - 1]->name,
          sorted[i]->name);
      g_free (sorted);
      return FALSE;
    }
  }
  g_free (sorted);
  return TRUE;
}

static gboolean
parse_tensor_table (IlgnetModel * model, JsonObject * root, GError ** error)
{
  JsonObject *tobj = get_object (root, "tensors");

  if (!tobj)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "header has no \"tensors\" object");
  return parse_tensors (model, tobj, error)
      && link_scales (model, tobj, error)
      && check_scales (model, error) && check_overlap (model, error);
}

/* ---- Output -------------------------------------------------------------- */

static gboolean
parse_output (IlgnetModel * model, JsonObject * root, const char **blob,
    GError ** error)
{
  JsonObject *out = get_object (root, "output");
  gint64 v = 1;

  *blob = out ? ilgnet_json_get_string (out, "blob", NULL) : NULL;
  if (!*blob)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "header has no \"output\" blob");
  if (!ilgnet_json_get_int (out, "high_index", 0, G_MAXINT, &v, FALSE,
          "output", error))
    return FALSE;
  model->high_index = v;
  return TRUE;
}

gboolean
ilgnet_model_parse_header (IlgnetModel * model, JsonObject * root,
    gsize header_len, const char **input_blob, const char **output_blob,
    GError ** error)
{
  if (!check_format (root, error))
    return FALSE;
  read_fields (model, root);
  return locate_data (model, root, header_len, error)
      && parse_input (model, root, input_blob, error)
      && parse_tensor_table (model, root, error)
      && parse_output (model, root, output_blob, error);
}
