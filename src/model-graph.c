/* The layer list of a model: for each layer its class from the registry,
 * its inputs resolved to blobs, its parameters parsed and its output shape
 * inferred (by the class) and checked.  Only shapes and parameters are
 * computed here (nothing runs); a model that passes can be executed
 * without further checks. */
#include "ilgnet-layer.h"

#include <string.h>

#define MAX_LAYERS 10000

/* A layer's members as the file has them. */
typedef struct
{
  const char *name, *type, *top;
  JsonArray *bottoms, *tensors;
  JsonObject *param;
} LayerJson;

int
ilgnet_model_find_blob (const IlgnetModel * model, const char *name)
{
  int i;

  /* the latest blob of that name (a name may be redefined) */
  for (i = model->n_blobs - 1; i >= 0; i--)
    if (strcmp (model->blobs[i].name, name) == 0)
      return i;
  return -1;
}

static int
add_blob (IlgnetModel * model, const char *name, IlgnetBlobShape shape)
{
  model->blobs = g_renew (IlgnetBlobInfo, model->blobs, model->n_blobs + 1);
  model->blobs[model->n_blobs].name = g_strdup (name);
  model->blobs[model->n_blobs].shape = shape;
  return model->n_blobs++;
}

static gboolean
check_shape_size (IlgnetBlobShape * s, const char *lname, GError ** error)
{
  if (s->c < 1 || s->h < 1 || s->w < 1)
    ILGNET_FAIL (ILGNET_ERROR_SHAPE, "layer \"%s\": output shape %dx%dx%d is "
        "empty", lname, s->c, s->h, s->w);
  if ((gint64) s->c * s->h * s->w > ILGNET_MAX_BLOB_ELEMENTS)
    ILGNET_FAIL (ILGNET_ERROR_SHAPE, "layer \"%s\": output is too large",
        lname);
  return TRUE;
}

/* An array of strings, NULL when absent; *ok is FALSE when malformed. */
static JsonArray *
member_string_array (JsonObject * o, const char *key, gboolean * ok)
{
  JsonNode *n = json_object_get_member (o, key);
  JsonArray *a;
  guint i;

  if (!n)
    return NULL;
  if (JSON_NODE_TYPE (n) != JSON_NODE_ARRAY) {
    *ok = FALSE;
    return NULL;
  }
  a = json_node_get_array (n);
  for (i = 0; i < json_array_get_length (a); i++) {
    JsonNode *e = json_array_get_element (a, i);
    if (JSON_NODE_TYPE (e) != JSON_NODE_VALUE
        || json_node_get_value_type (e) != G_TYPE_STRING)
      *ok = FALSE;
  }
  return a;
}

/* Phase 1 of a layer: its members, checked for type. */
static gboolean
read_layer_json (JsonNode * ln, guint i, LayerJson * j, GError ** error)
{
  JsonObject *lo;
  JsonNode *pn;
  JsonArray *tops;
  gboolean ok = TRUE;

  if (JSON_NODE_TYPE (ln) != JSON_NODE_OBJECT)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "layer %u is not an object", i);
  lo = json_node_get_object (ln);
  j->name = ilgnet_json_get_string (lo, "name", NULL);
  j->type = ilgnet_json_get_string (lo, "type", NULL);
  if (!j->name || !j->type)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "layer %u lacks a name or type", i);
  j->bottoms = member_string_array (lo, "bottom", &ok);
  tops = member_string_array (lo, "top", &ok);
  j->tensors = member_string_array (lo, "blobs", &ok);
  if (!ok)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "layer \"%s\": bottom, top and blobs "
        "must be arrays of names", j->name);
  pn = json_object_get_member (lo, "param");
  if (pn && JSON_NODE_TYPE (pn) != JSON_NODE_OBJECT)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "layer \"%s\": param is not an object",
        j->name);
  j->param = pn ? json_node_get_object (pn) : NULL;
  if (!tops || json_array_get_length (tops) != 1)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "layer \"%s\" must have exactly one "
        "top", j->name);
  j->top = json_array_get_string_element (tops, 0);
  return TRUE;
}

/* Phase 2: the input blobs, which earlier layers must have produced. */
static gboolean
resolve_bottoms (IlgnetModel * model, IlgnetLayer * l, const LayerJson * j,
    GError ** error)
{
  int k;

  l->n_bottoms = j->bottoms ? json_array_get_length (j->bottoms) : 0;
  if (l->n_bottoms < 1 || l->n_bottoms > ILGNET_MAX_BOTTOMS)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "layer \"%s\" has %d inputs (1 to %d "
        "allowed)", l->name, l->n_bottoms, ILGNET_MAX_BOTTOMS);
  if (l->n_bottoms > 1 && !(l->klass->flags & ILGNET_LAYER_MANY_INPUTS))
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "layer \"%s\" (%s) takes one input",
        l->name, j->type);
  for (k = 0; k < l->n_bottoms; k++) {
    const char *b = json_array_get_string_element (j->bottoms, k);
    l->bottoms[k] = ilgnet_model_find_blob (model, b);
    if (l->bottoms[k] < 0)
      ILGNET_FAIL (ILGNET_ERROR_FORMAT, "layer \"%s\" reads blob \"%s\" that "
          "no earlier layer produces", l->name, b);
  }
  return TRUE;
}

/* Phase 3: the class parses the parameters and infers the output shape. */
static gboolean
infer_layer (IlgnetModel * model, IlgnetLayer * l, const LayerJson * j,
    IlgnetBlobShape * out, GError ** error)
{
  IlgnetLayerBuild b = { .model = model, .layer = l, .param = j->param,
    .tensor_names = j->tensors
  };
  gboolean ok;
  int k;

  b.what = g_strdup_printf ("layer \"%s\"", l->name);
  for (k = 0; k < l->n_bottoms; k++)
    b.in[k] = &model->blobs[l->bottoms[k]].shape;
  b.out = *b.in[0];
  l->params = g_malloc0 (MAX (l->klass->params_size, 1));
  ok = (!l->klass->parse || l->klass->parse (&b, error))
      && (!l->klass->infer || l->klass->infer (&b, error));
  g_free ((char *) b.what);
  *out = b.out;
  return ok && check_shape_size (out, l->name, error);
}

/* Phase 4: the output blob, new or (in place) the input's. */
static gboolean
connect_top (IlgnetModel * model, IlgnetLayer * l, const char *top,
    const IlgnetBlobShape * out, GError ** error)
{
  int k;

  if (l->n_bottoms == 1
      && strcmp (top, model->blobs[l->bottoms[0]].name) == 0) {
    if (!(l->klass->flags & ILGNET_LAYER_IN_PLACE))
      ILGNET_FAIL (ILGNET_ERROR_UNSUPPORTED, "layer \"%s\" (%s) cannot run "
          "in place", l->name, l->type_name);
    if (l->bottoms[0] == model->input_blob)
      ILGNET_FAIL (ILGNET_ERROR_UNSUPPORTED, "layer \"%s\" cannot modify the "
          "input blob in place", l->name);
    l->in_place = TRUE;
    l->top = l->bottoms[0];
    return TRUE;
  }
  for (k = 0; k < l->n_bottoms; k++)
    if (strcmp (top, model->blobs[l->bottoms[k]].name) == 0)
      ILGNET_FAIL (ILGNET_ERROR_UNSUPPORTED, "layer \"%s\" writes one of its "
          "inputs", l->name);
  l->top = add_blob (model, top, *out);
  return TRUE;
}

/* The source layer only names the input blob, which must come first. */
static gboolean
connect_source (IlgnetModel * model, IlgnetLayer * l, const LayerJson * j,
    const char *in_name, GError ** error)
{
  if ((j->bottoms && json_array_get_length (j->bottoms) > 0)
      || strcmp (j->top, in_name) != 0 || model->n_layers != 1)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "%s layer \"%s\" must come first and "
        "produce the input blob \"%s\"", j->type, l->name, in_name);
  l->n_bottoms = 0;
  l->top = model->input_blob;
  return TRUE;
}

static gboolean
build_layer (IlgnetModel * model, JsonNode * ln, guint i, const char *in_name,
    GError ** error)
{
  IlgnetLayer *l = &model->layers[model->n_layers];
  IlgnetBlobShape out;
  LayerJson j;

  if (!read_layer_json (ln, i, &j, error))
    return FALSE;
  l->name = g_strdup (j.name);
  model->n_layers++;
  l->klass = ilgnet_layer_class_find (j.type);
  if (!l->klass)
    ILGNET_FAIL (ILGNET_ERROR_UNSUPPORTED, "layer \"%s\" has unsupported "
        "type \"%s\"", j.name, j.type);
  l->type_name = l->klass->type;
  if (l->klass->flags & ILGNET_LAYER_SOURCE)
    return connect_source (model, l, &j, in_name, error);
  return resolve_bottoms (model, l, &j, error)
      && infer_layer (model, l, &j, &out, error)
      && connect_top (model, l, j.top, &out, error);
}

gboolean
ilgnet_model_build_graph (IlgnetModel * model, JsonArray * layers,
    const char *in_name, const char *out_name, GError ** error)
{
  guint n = json_array_get_length (layers), i;
  IlgnetBlobShape in_shape = { model->input.channels, model->input.height,
    model->input.width, 4
  };

  if (n == 0 || n > MAX_LAYERS)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "header has %u layers", n);
  model->layers = g_new0 (IlgnetLayer, n);
  if (!check_shape_size (&in_shape, "input", error))
    return FALSE;
  model->input_blob = add_blob (model, in_name, in_shape);

  for (i = 0; i < n; i++)
    if (!build_layer (model, json_array_get_element (layers, i), i, in_name,
            error))
      return FALSE;

  model->output_blob = ilgnet_model_find_blob (model, out_name);
  if (model->output_blob < 0)
    ILGNET_FAIL (ILGNET_ERROR_FORMAT, "output blob \"%s\" is not produced by "
        "any layer", out_name);
  if ((gsize) model->high_index >=
      ilgnet_blob_shape_size (&model->blobs[model->output_blob].shape))
    ILGNET_FAIL (ILGNET_ERROR_SHAPE, "output high_index %d is out of range",
        model->high_index);
  return TRUE;
}
