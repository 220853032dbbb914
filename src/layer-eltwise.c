/* Eltwise: elementwise sum (with optional coefficients), product or
 * maximum of two or more equally shaped inputs. */
#include "ilgnet-layer.h"

typedef enum
{
  OP_SUM,
  OP_PROD,
  OP_MAX
} EltwiseOp;

typedef struct
{
  EltwiseOp op;
  float coeff[ILGNET_MAX_BOTTOMS];
} EltwiseParams;

static void
eltwise_forward (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * ins, const IlgnetView * out, int n)
{
  const IlgnetLayer *l = node->layer;
  const EltwiseParams *p = l->params;
  gsize size = ilgnet_blob_shape_size (&out->shape), k;
  int i, j;

  for (i = 0; i < n; i++) {
    float *y = ilgnet_view_image (out, i);
    const float *x0 = ilgnet_view_image (&ins[0], i);
    /* y may alias no input (checked at load), so write it from the first */
    for (k = 0; k < size; k++)
      y[k] = p->op == OP_SUM ? x0[k] * p->coeff[0] : x0[k];
    for (j = 1; j < l->n_bottoms; j++) {
      const float *x = ilgnet_view_image (&ins[j], i);
      switch (p->op) {
        case OP_SUM:
          for (k = 0; k < size; k++)
            y[k] += x[k] * p->coeff[j];
          break;
        case OP_PROD:
          for (k = 0; k < size; k++)
            y[k] *= x[k];
          break;
        case OP_MAX:
          for (k = 0; k < size; k++)
            y[k] = MAX (y[k], x[k]);
          break;
      }
    }
  }
}

/* "coeff": one number per input, for sums only. */
static gboolean
parse_coeff (IlgnetLayerBuild * b, EltwiseParams * p, GError ** error)
{
  JsonNode *cn = b->param ? json_object_get_member (b->param, "coeff") : NULL;
  int n = b->layer->n_bottoms, i;
  JsonArray *arr;

  for (i = 0; i < n; i++)
    p->coeff[i] = 1.0f;
  if (!cn)
    return TRUE;
  if (JSON_NODE_TYPE (cn) != JSON_NODE_ARRAY || p->op != OP_SUM
      || json_array_get_length (json_node_get_array (cn)) != (guint) n) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s: coeff needs one number per input (sum only)", b->what);
    return FALSE;
  }
  arr = json_node_get_array (cn);
  for (i = 0; i < n; i++) {
    JsonNode *e = json_array_get_element (arr, i);
    if (JSON_NODE_TYPE (e) != JSON_NODE_VALUE
        || (json_node_get_value_type (e) != G_TYPE_DOUBLE
            && json_node_get_value_type (e) != G_TYPE_INT64)) {
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT, "%s: bad coeff",
          b->what);
      return FALSE;
    }
    p->coeff[i] = json_node_get_double (e);
  }
  return TRUE;
}

static gboolean
eltwise_parse (IlgnetLayerBuild * b, GError ** error)
{
  static const char *const ops[] = { "sum", "prod", "max", NULL };
  EltwiseParams *p = b->layer->params;
  int op;

  if (!ilgnet_json_get_choice (b->param, "operation", ops, OP_SUM, &op,
          b->what, error))
    return FALSE;
  p->op = op;
  if (b->layer->n_bottoms < 2) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s needs two inputs", b->what);
    return FALSE;
  }
  return parse_coeff (b, p, error);
}

static gboolean
eltwise_infer (IlgnetLayerBuild * b, GError ** error)
{
  const IlgnetBlobShape *in = b->in[0];
  int i;

  for (i = 0; i < b->layer->n_bottoms; i++) {
    if (ilgnet_blob_shape_size (b->in[i]) != ilgnet_blob_shape_size (in)
        || b->in[i]->c != in->c) {
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_SHAPE,
          "%s: inputs differ in shape", b->what);
      return FALSE;
    }
  }
  b->out = *in;
  return TRUE;
}

static guint64
eltwise_flops (const IlgnetModel * m, const IlgnetLayer * l)
{
  return ilgnet_blob_shape_size (&m->blobs[l->top].shape)
      * (guint64) (l->n_bottoms - 1);
}

static const IlgnetKernel eltwise_kernels[] = {
  {"loop", ILGNET_DTYPE_F32, NULL, eltwise_forward},
  {NULL}
};

const IlgnetLayerClass ilgnet_layer_eltwise = {
  .type = "Eltwise",
  .flags = ILGNET_LAYER_MANY_INPUTS,
  .params_size = sizeof (EltwiseParams),
  .caffe_v1 = "ELTWISE",
  .parse = eltwise_parse,
  .infer = eltwise_infer,
  .flops = eltwise_flops,
  .kernels = eltwise_kernels,
};
