/* The layer registry: the classes of src/layer-*.c, listed once in
 * src/meson.build (which generates ilgnet-layer-list.h), looked up by type
 * name; and the helpers their parse() and infer() share. */
#include "ilgnet-layer.h"
#include "ilgnet-layer-list.h"

#include <string.h>

/* Caffe allows far less; keeps products of dimensions inside 64 bits */
#define MAX_KERNEL 4096

#define ILGNET_LAYER_DECLARE(name) extern const IlgnetLayerClass ilgnet_layer_##name;
ILGNET_LAYER_LIST (ILGNET_LAYER_DECLARE)
#define ILGNET_LAYER_ENTRY(name) &ilgnet_layer_##name,
static const IlgnetLayerClass *const registry[] = {
  ILGNET_LAYER_LIST (ILGNET_LAYER_ENTRY)
};

const IlgnetLayerClass *
ilgnet_layer_class_find (const char *type)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (registry); i++)
    if (strcmp (registry[i]->type, type) == 0)
      return registry[i];
  return NULL;
}

const IlgnetLayerClass *
ilgnet_layer_class_find_caffe_v1 (const char *v1)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (registry); i++)
    if (registry[i]->caffe_v1 && strcmp (registry[i]->caffe_v1, v1) == 0)
      return registry[i];
  return NULL;
}

guint64
ilgnet_layer_flops (const IlgnetModel * m, const IlgnetLayer * l)
{
  if (l->klass->flags & ILGNET_LAYER_SOURCE)
    return 0;
  if (l->klass->flops)
    return l->klass->flops (m, l);
  return ilgnet_blob_shape_size (&m->blobs[l->top].shape);
}

const IlgnetTensor *
ilgnet_layer_bind_tensor (IlgnetLayerBuild * b, guint i, gint64 n,
    GError ** error)
{
  JsonArray *names = b->tensor_names;
  JsonNode *node;
  const IlgnetTensor *t;

  if (!names || i >= json_array_get_length (names)) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s lacks weight tensor %u", b->what, i);
    return NULL;
  }
  node = json_array_get_element (names, i);
  if (JSON_NODE_TYPE (node) != JSON_NODE_VALUE
      || json_node_get_value_type (node) != G_TYPE_STRING) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s: blobs must be tensor names", b->what);
    return NULL;
  }
  t = ilgnet_model_find_tensor (b->model, json_node_get_string (node));
  if (!t) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s names unknown tensor \"%s\"", b->what,
        json_node_get_string (node));
    return NULL;
  }
  if (t->is_scales) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s uses scales tensor \"%s\" as a weight", b->what, t->name);
    return NULL;
  }
  if (n >= 0 && t->n_elements != (guint64) n) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_SHAPE,
        "%s: tensor \"%s\" has %" G_GUINT64_FORMAT " values, expected %"
        G_GINT64_FORMAT, b->what, t->name, t->n_elements, n);
    return NULL;
  }
  return t;
}

gboolean
ilgnet_layer_parse_window (IlgnetLayerBuild * b, IlgnetWindow * win,
    gboolean dilation, GError ** error)
{
  JsonObject *p = b->param;

  win->dh = win->dw = 1;
  if (!ilgnet_json_get_pair (p, "kernel", 1, MAX_KERNEL, 0, &win->kh,
          &win->kw, b->what, error)
      || !ilgnet_json_get_pair (p, "stride", 1, MAX_KERNEL, 1, &win->sh,
          &win->sw, b->what, error)
      || !ilgnet_json_get_pair (p, "pad", 0, MAX_KERNEL, 0, &win->ph,
          &win->pw, b->what, error)
      || (dilation && !ilgnet_json_get_pair (p, "dilation", 1, MAX_KERNEL, 1,
              &win->dh, &win->dw, b->what, error)))
    return FALSE;
  return TRUE;
}

void
ilgnet_layer_foreach_plane (const IlgnetNode * node, const IlgnetView * in,
    const IlgnetView * out, int n, IlgnetPlaneFunc plane)
{
  gsize hw = (gsize) in->shape.h * in->shape.w;
  int i, c;

  for (i = 0; i < n; i++) {
    const float *x = ilgnet_view_image (in, i);
    float *y = ilgnet_view_image (out, i);
    for (c = 0; c < in->shape.c; c++)
      plane (node, c, x + c * hw, y + c * hw, hw);
  }
}

gboolean
ilgnet_layer_parse_outputs (IlgnetLayerBuild * b, int max, IlgnetOutputs * o,
    GError ** error)
{
  gint64 n, bias = 1;

  if (!ilgnet_json_get_int (b->param, "num_output", 1, max, &n, TRUE,
          b->what, error)
      || !ilgnet_json_get_int (b->param, "bias_term", 0, 1, &bias, FALSE,
          b->what, error))
    return FALSE;
  o->num_output = n;
  o->bias_term = bias;
  return TRUE;
}

gboolean
ilgnet_layer_bind_weights (IlgnetLayerBuild * b, const IlgnetOutputs * o,
    GError ** error)
{
  IlgnetLayer *l = b->layer;

  return (l->weight = ilgnet_layer_bind_tensor (b, 0, -1, error))
      && (!o->bias_term
      || (l->bias = ilgnet_layer_bind_tensor (b, 1, o->num_output, error)));
}
