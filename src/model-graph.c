/* The layer list of a model: parsing each layer's parameters, resolving
 * blob names and inferring every blob's shape layer by layer, checking it
 * against the weight tensors.  Only shapes and parameters are computed here
 * (nothing runs); a model that passes can be executed without further
 * checks. */
#include "ilgnet-private.h"

#include <math.h>
#include <string.h>

#define MAX_LAYERS 10000
#define MAX_BLOB_ELEMENTS ((gint64) 1 << 31)
#define MAX_KERNEL 4096

#define FAIL(code, ...) G_STMT_START { \
    g_set_error (error, ILGNET_ERROR, code, __VA_ARGS__); \
    return FALSE; \
  } G_STMT_END

gboolean ilgnet_json_get_int (JsonObject * obj, const char *key, gint64 min,
    gint64 max, gint64 * out, gboolean required, const char *what,
    GError ** error);
gboolean ilgnet_json_get_number (JsonObject * obj, const char *key,
    double *out, gboolean required, const char *what, GError ** error);

static gboolean
node_get_int (JsonNode * n, gint64 * out)
{
  if (!n || JSON_NODE_TYPE (n) != JSON_NODE_VALUE)
    return FALSE;
  if (json_node_get_value_type (n) == G_TYPE_INT64) {
    *out = json_node_get_int (n);
    return TRUE;
  }
  if (json_node_get_value_type (n) == G_TYPE_BOOLEAN) {
    *out = json_node_get_boolean (n);
    return TRUE;
  }
  if (json_node_get_value_type (n) == G_TYPE_DOUBLE) {
    double d = json_node_get_double (n);
    if (d == floor (d) && fabs (d) < 9e15) {
      *out = (gint64) d;
      return TRUE;
    }
  }
  return FALSE;
}

gboolean
ilgnet_json_get_int (JsonObject * obj, const char *key, gint64 min,
    gint64 max, gint64 * out, gboolean required, const char *what,
    GError ** error)
{
  JsonNode *n = obj ? json_object_get_member (obj, key) : NULL;

  if (!n) {
    if (required)
      FAIL (ILGNET_ERROR_FORMAT, "%s: missing \"%s\"", what, key);
    return TRUE;
  }
  if (!node_get_int (n, out) || *out < min || *out > max)
    FAIL (ILGNET_ERROR_FORMAT, "%s: \"%s\" must be an integer in %"
        G_GINT64_FORMAT "..%" G_GINT64_FORMAT, what, key, min, max);
  return TRUE;
}

gboolean
ilgnet_json_get_number (JsonObject * obj, const char *key, double *out,
    gboolean required, const char *what, GError ** error)
{
  JsonNode *n = obj ? json_object_get_member (obj, key) : NULL;
  GType t;

  if (!n) {
    if (required)
      FAIL (ILGNET_ERROR_FORMAT, "%s: missing \"%s\"", what, key);
    return TRUE;
  }
  t = JSON_NODE_TYPE (n) == JSON_NODE_VALUE ? json_node_get_value_type (n) : 0;
  if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
    FAIL (ILGNET_ERROR_FORMAT, "%s: \"%s\" must be a number", what, key);
  *out = json_node_get_double (n);
  if (!isfinite (*out))
    FAIL (ILGNET_ERROR_FORMAT, "%s: \"%s\" must be finite", what, key);
  return TRUE;
}

/* Caffe-style pair parameter: an integer, [v] or [h, w]. */
static gboolean
get_pair (JsonObject * obj, const char *key, int min, int max, int def,
    int *a, int *b, const char *what, GError ** error)
{
  JsonNode *n = obj ? json_object_get_member (obj, key) : NULL;
  gint64 x, y;

  *a = *b = def;
  if (!n)
    return TRUE;
  if (JSON_NODE_TYPE (n) == JSON_NODE_ARRAY) {
    JsonArray *arr = json_node_get_array (n);
    guint len = json_array_get_length (arr);
    if (len < 1 || len > 2 || !node_get_int (json_array_get_element (arr, 0),
            &x) || !node_get_int (json_array_get_element (arr, len - 1), &y))
      FAIL (ILGNET_ERROR_FORMAT, "layer \"%s\": \"%s\" must be [h, w]", what,
          key);
  } else if (node_get_int (n, &x)) {
    y = x;
  } else {
    FAIL (ILGNET_ERROR_FORMAT, "layer \"%s\": \"%s\" must be [h, w]", what,
        key);
  }
  if (x < min || x > max || y < min || y > max)
    FAIL (ILGNET_ERROR_FORMAT, "layer \"%s\": \"%s\" out of range %d..%d",
        what, key, min, max);
  *a = x;
  *b = y;
  return TRUE;
}

/* A string parameter; NULL when present but not a string. */
static const char *
param_string (JsonObject * param, const char *key, const char *def)
{
  JsonNode *n = param ? json_object_get_member (param, key) : NULL;

  if (!n)
    return def;
  if (JSON_NODE_TYPE (n) != JSON_NODE_VALUE
      || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static const struct
{
  const char *name;
  IlgnetLayerType type;
} layer_types[] = {
  {"Input", ILGNET_LAYER_INPUT},
  {"Convolution", ILGNET_LAYER_CONVOLUTION},
  {"InnerProduct", ILGNET_LAYER_INNER_PRODUCT},
  {"Pooling", ILGNET_LAYER_POOLING},
  {"LRN", ILGNET_LAYER_LRN},
  {"ReLU", ILGNET_LAYER_RELU},
  {"PReLU", ILGNET_LAYER_PRELU},
  {"Concat", ILGNET_LAYER_CONCAT},
  {"Softmax", ILGNET_LAYER_SOFTMAX},
  {"Dropout", ILGNET_LAYER_DROPOUT},
  {"BatchNorm", ILGNET_LAYER_BATCH_NORM},
  {"Scale", ILGNET_LAYER_SCALE},
  {"Eltwise", ILGNET_LAYER_ELTWISE},
  {"Flatten", ILGNET_LAYER_FLATTEN},
};

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

/* Looks up blob tensor @i of the layer; NULL (with error) when missing. */
static const IlgnetTensor *
layer_tensor (IlgnetModel * model, JsonArray * blobs, guint i,
    const char *lname, GError ** error)
{
  JsonNode *n;
  const IlgnetTensor *t;

  if (!blobs || i >= json_array_get_length (blobs)) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "layer \"%s\" lacks weight tensor %u", lname, i);
    return NULL;
  }
  n = json_array_get_element (blobs, i);
  if (JSON_NODE_TYPE (n) != JSON_NODE_VALUE
      || json_node_get_value_type (n) != G_TYPE_STRING) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "layer \"%s\": blobs must be tensor names", lname);
    return NULL;
  }
  t = ilgnet_model_find_tensor (model, json_node_get_string (n));
  if (!t)
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "layer \"%s\" names unknown tensor \"%s\"", lname,
        json_node_get_string (n));
  else if (t->is_scales)
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "layer \"%s\" uses scales tensor \"%s\" as a weight", lname, t->name);
  return t && !t->is_scales ? t : NULL;
}

/* A per-channel vector tensor of @c values (or 1 when @allow_one). */
static gboolean
check_vector (const IlgnetTensor * t, gint64 c, gboolean allow_one,
    const char *lname, GError ** error)
{
  if (t->n_elements != (guint64) c && !(allow_one && t->n_elements == 1))
    FAIL (ILGNET_ERROR_SHAPE, "layer \"%s\": tensor \"%s\" has %"
        G_GUINT64_FORMAT " values, expected %" G_GINT64_FORMAT, lname,
        t->name, t->n_elements, c);
  return TRUE;
}

static gboolean
check_shape_size (IlgnetBlobShape * s, const char *lname, GError ** error)
{
  if (s->c < 1 || s->h < 1 || s->w < 1)
    FAIL (ILGNET_ERROR_SHAPE, "layer \"%s\": output shape %dx%dx%d is empty",
        lname, s->c, s->h, s->w);
  if ((gint64) s->c * s->h * s->w > MAX_BLOB_ELEMENTS)
    FAIL (ILGNET_ERROR_SHAPE, "layer \"%s\": output is too large", lname);
  return TRUE;
}

/* Parses the parameters of @l and computes its output shape. */
static gboolean
infer_layer (IlgnetModel * model, IlgnetLayer * l, JsonObject * param,
    JsonArray * tblobs, IlgnetBlobShape * out, GError ** error)
{
  IlgnetLayerParams *p = &l->p;
  const IlgnetBlobShape *in = l->n_bottoms > 0 ?
      &model->blobs[l->bottoms[0]].shape : NULL;
  const char *name = l->name;
  gint64 v;
  double d;
  int i;

  switch (l->type) {
    case ILGNET_LAYER_INPUT:
      return TRUE;              /* handled by the caller */

    case ILGNET_LAYER_CONVOLUTION:{
      const IlgnetTensor *w;
      gint64 ekh, ekw;
      if (!ilgnet_json_get_int (param, "num_output", 1, 1 << 20, &v, TRUE,
              name, error))
        return FALSE;
      p->num_output = v;
      if (!get_pair (param, "kernel", 1, MAX_KERNEL, 0, &p->kh, &p->kw, name,
              error) || !get_pair (param, "stride", 1, MAX_KERNEL, 1, &p->sh,
              &p->sw, name, error) || !get_pair (param, "pad", 0, MAX_KERNEL, 0,
              &p->ph, &p->pw, name, error) || !get_pair (param, "dilation", 1,
              MAX_KERNEL, 1, &p->dh, &p->dw, name, error))
        return FALSE;
      if (p->kh == 0)
        FAIL (ILGNET_ERROR_FORMAT, "layer \"%s\" has no kernel size", name);
      v = 1;
      if (!ilgnet_json_get_int (param, "group", 1, 1 << 20, &v, FALSE, name,
              error))
        return FALSE;
      p->group = v;
      v = 1;
      if (!ilgnet_json_get_int (param, "bias_term", 0, 1, &v, FALSE, name,
              error))
        return FALSE;
      p->bias_term = v;
      if (in->c % p->group || p->num_output % p->group)
        FAIL (ILGNET_ERROR_SHAPE, "layer \"%s\": group %d does not divide "
            "%d inputs and %d outputs", name, p->group, in->c, p->num_output);
      if (!(w = layer_tensor (model, tblobs, 0, name, error)))
        return FALSE;
      if (w->ndim != 4 || w->shape[0] != p->num_output
          || w->shape[1] != in->c / p->group || w->shape[2] != p->kh
          || w->shape[3] != p->kw)
        FAIL (ILGNET_ERROR_SHAPE, "layer \"%s\": weight \"%s\" must be [%d, "
            "%d, %d, %d]", name, w->name, p->num_output, in->c / p->group,
            p->kh, p->kw);
      l->weight = w;
      if (p->bias_term) {
        if (!(l->bias = layer_tensor (model, tblobs, 1, name, error))
            || !check_vector (l->bias, p->num_output, FALSE, name, error))
          return FALSE;
      }
      ekh = (gint64) p->dh * (p->kh - 1) + 1;
      ekw = (gint64) p->dw * (p->kw - 1) + 1;
      if (in->h + 2 * p->ph < ekh || in->w + 2 * p->pw < ekw)
        FAIL (ILGNET_ERROR_SHAPE, "layer \"%s\": kernel larger than its "
            "%dx%d input", name, in->h, in->w);
      out->c = p->num_output;
      out->h = (in->h + 2 * p->ph - ekh) / p->sh + 1;
      out->w = (in->w + 2 * p->pw - ekw) / p->sw + 1;
      out->ndim = 4;
      /* im2col scratch must stay addressable */
      if ((gint64) in->c / p->group * p->kh * p->kw * out->h * out->w >
          MAX_BLOB_ELEMENTS)
        FAIL (ILGNET_ERROR_SHAPE, "layer \"%s\": too large", name);
      return TRUE;
    }

    case ILGNET_LAYER_INNER_PRODUCT:{
      const IlgnetTensor *w;
      gint64 k = ilgnet_blob_shape_size (in);
      if (!ilgnet_json_get_int (param, "num_output", 1, 1 << 24, &v, TRUE,
              name, error))
        return FALSE;
      p->num_output = v;
      v = 1;
      if (!ilgnet_json_get_int (param, "bias_term", 0, 1, &v, FALSE, name,
              error))
        return FALSE;
      p->bias_term = v;
      v = 1;
      if (!ilgnet_json_get_int (param, "axis", 1, 1, &v, FALSE, name, error))
        return FALSE;
      if (!(w = layer_tensor (model, tblobs, 0, name, error)))
        return FALSE;
      if (w->shape[0] != p->num_output
          || w->n_elements != (guint64) p->num_output * k)
        FAIL (ILGNET_ERROR_SHAPE, "layer \"%s\": weight \"%s\" must be [%d, %"
            G_GINT64_FORMAT "]", name, w->name, p->num_output, k);
      l->weight = w;
      if (p->bias_term) {
        if (!(l->bias = layer_tensor (model, tblobs, 1, name, error))
            || !check_vector (l->bias, p->num_output, FALSE, name, error))
          return FALSE;
      }
      out->c = p->num_output;
      out->h = out->w = 1;
      out->ndim = 2;
      return TRUE;
    }

    case ILGNET_LAYER_POOLING:{
      const char *pool = param_string (param,
          "pool", "max");
      v = 0;
      if (!ilgnet_json_get_int (param, "global", 0, 1, &v, FALSE, name, error))
        return FALSE;
      p->global = v;
      if (g_strcmp0 (pool, "max") == 0)
        p->pool_max = TRUE;
      else if (g_strcmp0 (pool, "ave") == 0)
        p->pool_max = FALSE;
      else
        FAIL (ILGNET_ERROR_UNSUPPORTED, "layer \"%s\": unknown pool \"%s\"",
            name, pool);
      if (in->ndim != 4)
        FAIL (ILGNET_ERROR_SHAPE, "layer \"%s\": pooling needs an image",
            name);
      if (p->global) {
        p->kh = in->h;
        p->kw = in->w;
        p->sh = p->sw = 1;
        p->ph = p->pw = 0;
      } else {
        if (!get_pair (param, "kernel", 1, MAX_KERNEL, 0, &p->kh, &p->kw, name,
                error) || !get_pair (param, "stride", 1, MAX_KERNEL, 1, &p->sh,
                &p->sw, name, error) || !get_pair (param, "pad", 0, MAX_KERNEL,
                0, &p->ph, &p->pw, name, error))
          return FALSE;
        if (p->kh == 0)
          FAIL (ILGNET_ERROR_FORMAT, "layer \"%s\" has no kernel size", name);
        if (p->ph >= p->kh || p->pw >= p->kw)
          FAIL (ILGNET_ERROR_SHAPE, "layer \"%s\": pad must be smaller than "
              "the kernel", name);
        if (in->h + 2 * p->ph < p->kh || in->w + 2 * p->pw < p->kw)
          FAIL (ILGNET_ERROR_SHAPE, "layer \"%s\": kernel larger than its "
              "%dx%d input", name, in->h, in->w);
      }
      /* Caffe: ceil rounding, then drop a last window starting in the pad */
      out->h = (in->h + 2 * p->ph - p->kh + p->sh - 1) / p->sh + 1;
      out->w = (in->w + 2 * p->pw - p->kw + p->sw - 1) / p->sw + 1;
      if (p->ph > 0 && (gint64) (out->h - 1) * p->sh >= in->h + p->ph)
        out->h--;
      if (p->pw > 0 && (gint64) (out->w - 1) * p->sw >= in->w + p->pw)
        out->w--;
      /* with no padding and kernel < stride the last window can still
       * start past the input (Caffe then outputs garbage): refuse */
      if ((gint64) (out->h - 1) * p->sh - p->ph >= in->h
          || (gint64) (out->w - 1) * p->sw - p->pw >= in->w)
        FAIL (ILGNET_ERROR_SHAPE, "layer \"%s\": the last pooling window "
            "starts outside the %dx%d input", name, in->h, in->w);
      out->c = in->c;
      out->ndim = 4;
      return TRUE;
    }

    case ILGNET_LAYER_LRN:{
      const char *region = param_string (param,
          "region", "across");
      v = 5;
      if (!ilgnet_json_get_int (param, "local_size", 1, 1023, &v, FALSE, name,
              error))
        return FALSE;
      if (v % 2 == 0)
        FAIL (ILGNET_ERROR_FORMAT, "layer \"%s\": local_size must be odd",
            name);
      p->local_size = v;
      d = 1.0;
      if (!ilgnet_json_get_number (param, "alpha", &d, FALSE, name, error))
        return FALSE;
      p->alpha = d;
      d = 0.75;
      if (!ilgnet_json_get_number (param, "beta", &d, FALSE, name, error))
        return FALSE;
      p->beta = d;
      d = 1.0;
      if (!ilgnet_json_get_number (param, "k", &d, FALSE, name, error))
        return FALSE;
      p->k = d;
      if (g_strcmp0 (region, "across") == 0)
        p->lrn_within = FALSE;
      else if (g_strcmp0 (region, "within") == 0)
        p->lrn_within = TRUE;
      else
        FAIL (ILGNET_ERROR_UNSUPPORTED, "layer \"%s\": unknown region \"%s\"",
            name, region);
      *out = *in;
      return TRUE;
    }

    case ILGNET_LAYER_RELU:
      d = 0;
      if (!ilgnet_json_get_number (param, "negative_slope", &d, FALSE, name,
              error))
        return FALSE;
      p->negative_slope = d;
      *out = *in;
      return TRUE;

    case ILGNET_LAYER_PRELU:
      v = 0;
      if (!ilgnet_json_get_int (param, "channel_shared", 0, 1, &v, FALSE, name,
              error))
        return FALSE;
      p->channel_shared = v;
      if (!(l->weight = layer_tensor (model, tblobs, 0, name, error))
          || !check_vector (l->weight, p->channel_shared ? 1 : in->c, FALSE,
              name, error))
        return FALSE;
      *out = *in;
      return TRUE;

    case ILGNET_LAYER_DROPOUT:
      *out = *in;
      return TRUE;

    case ILGNET_LAYER_SOFTMAX:
    case ILGNET_LAYER_CONCAT:
      v = 1;
      if (!ilgnet_json_get_int (param, "axis", 1, 1, &v, FALSE, name, error))
        return FALSE;
      *out = *in;
      if (l->type == ILGNET_LAYER_CONCAT) {
        gint64 c = 0;
        for (i = 0; i < l->n_bottoms; i++) {
          const IlgnetBlobShape *b = &model->blobs[l->bottoms[i]].shape;
          if (b->h != in->h || b->w != in->w || b->ndim != in->ndim)
            FAIL (ILGNET_ERROR_SHAPE, "layer \"%s\": inputs differ in size",
                name);
          c += b->c;
        }
        if (c > MAX_BLOB_ELEMENTS)
          FAIL (ILGNET_ERROR_SHAPE, "layer \"%s\": too large", name);
        out->c = c;
      }
      return TRUE;

    case ILGNET_LAYER_BATCH_NORM:
      d = 1e-5;
      if (!ilgnet_json_get_number (param, "eps", &d, FALSE, name, error))
        return FALSE;
      if (d < 0)
        FAIL (ILGNET_ERROR_FORMAT, "layer \"%s\": negative eps", name);
      p->eps = d;
      if (!(l->weight = layer_tensor (model, tblobs, 0, name, error))
          || !check_vector (l->weight, in->c, FALSE, name, error)
          || !(l->blob2 = layer_tensor (model, tblobs, 1, name, error))
          || !check_vector (l->blob2, in->c, FALSE, name, error))
        return FALSE;
      *out = *in;
      return TRUE;

    case ILGNET_LAYER_SCALE:
      v = 0;
      if (!ilgnet_json_get_int (param, "bias_term", 0, 1, &v, FALSE, name,
              error))
        return FALSE;
      p->bias_term = v;
      if (!(l->weight = layer_tensor (model, tblobs, 0, name, error))
          || !check_vector (l->weight, in->c, FALSE, name, error))
        return FALSE;
      if (p->bias_term && (!(l->bias = layer_tensor (model, tblobs, 1, name,
                      error)) || !check_vector (l->bias, in->c, FALSE, name,
                  error)))
        return FALSE;
      *out = *in;
      return TRUE;

    case ILGNET_LAYER_ELTWISE:{
      const char *op = param_string (param,
          "operation", "sum");
      JsonNode *cn = param ? json_object_get_member (param, "coeff") : NULL;
      if (g_strcmp0 (op, "sum") == 0)
        p->op = ILGNET_ELTWISE_SUM;
      else if (g_strcmp0 (op, "prod") == 0)
        p->op = ILGNET_ELTWISE_PROD;
      else if (g_strcmp0 (op, "max") == 0)
        p->op = ILGNET_ELTWISE_MAX;
      else
        FAIL (ILGNET_ERROR_UNSUPPORTED, "layer \"%s\": unknown operation "
            "\"%s\"", name, op);
      if (l->n_bottoms < 2)
        FAIL (ILGNET_ERROR_FORMAT, "layer \"%s\" needs two inputs", name);
      for (i = 0; i < l->n_bottoms; i++) {
        const IlgnetBlobShape *b = &model->blobs[l->bottoms[i]].shape;
        if (ilgnet_blob_shape_size (b) != ilgnet_blob_shape_size (in)
            || b->c != in->c)
          FAIL (ILGNET_ERROR_SHAPE, "layer \"%s\": inputs differ in shape",
              name);
        p->coeff[i] = 1.0f;
      }
      if (cn) {
        JsonArray *arr;
        if (JSON_NODE_TYPE (cn) != JSON_NODE_ARRAY
            || p->op != ILGNET_ELTWISE_SUM
            || json_array_get_length (json_node_get_array (cn)) !=
            (guint) l->n_bottoms)
          FAIL (ILGNET_ERROR_FORMAT, "layer \"%s\": coeff needs one number "
              "per input (sum only)", name);
        arr = json_node_get_array (cn);
        for (i = 0; i < l->n_bottoms; i++) {
          JsonNode *e = json_array_get_element (arr, i);
          if (JSON_NODE_TYPE (e) != JSON_NODE_VALUE
              || (json_node_get_value_type (e) != G_TYPE_DOUBLE
                  && json_node_get_value_type (e) != G_TYPE_INT64))
            FAIL (ILGNET_ERROR_FORMAT, "layer \"%s\": bad coeff", name);
          p->coeff[i] = json_node_get_double (e);
        }
      }
      *out = *in;
      return TRUE;
    }

    case ILGNET_LAYER_FLATTEN:
      out->c = ilgnet_blob_shape_size (in);
      out->h = out->w = 1;
      out->ndim = 2;
      return TRUE;
  }
  return FALSE;
}

static gboolean
type_allows_in_place (IlgnetLayerType t)
{
  return t == ILGNET_LAYER_RELU || t == ILGNET_LAYER_PRELU
      || t == ILGNET_LAYER_DROPOUT || t == ILGNET_LAYER_BATCH_NORM
      || t == ILGNET_LAYER_SCALE;
}

static const char *
member_string (JsonObject * o, const char *key)
{
  JsonNode *n = json_object_get_member (o, key);
  if (!n || JSON_NODE_TYPE (n) != JSON_NODE_VALUE
      || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static JsonArray *
member_string_array (JsonObject * o, const char *key, gboolean * ok)
{
  JsonNode *n = json_object_get_member (o, key);
  JsonArray *a;
  guint i;

  *ok = TRUE;
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

gboolean
ilgnet_model_build_graph (IlgnetModel * model, JsonArray * layers,
    GError ** error)
{
  guint n = json_array_get_length (layers);
  const char *in_name = g_hash_table_lookup (model->fields, " input-blob");
  const char *out_name = g_hash_table_lookup (model->fields, " output-blob");
  IlgnetBlobShape in_shape;
  guint i;
  int j;

  if (n == 0 || n > MAX_LAYERS)
    FAIL (ILGNET_ERROR_FORMAT, "header has %u layers", n);
  model->layers = g_new0 (IlgnetLayer, n);

  in_shape.c = model->input.channels;
  in_shape.h = model->input.height;
  in_shape.w = model->input.width;
  in_shape.ndim = 4;
  if (!check_shape_size (&in_shape, "input", error))
    return FALSE;
  model->input_blob = add_blob (model, in_name, in_shape);

  for (i = 0; i < n; i++) {
    JsonNode *ln = json_array_get_element (layers, i);
    JsonObject *lo, *param = NULL;
    JsonArray *bottoms, *tops, *tblobs;
    IlgnetLayer *l = &model->layers[model->n_layers];
    IlgnetBlobShape out = { 0, };
    const char *type, *name, *top;
    gboolean ok1, ok2, ok3;
    guint k;

    if (JSON_NODE_TYPE (ln) != JSON_NODE_OBJECT)
      FAIL (ILGNET_ERROR_FORMAT, "layer %u is not an object", i);
    lo = json_node_get_object (ln);
    name = member_string (lo, "name");
    type = member_string (lo, "type");
    if (!name || !type)
      FAIL (ILGNET_ERROR_FORMAT, "layer %u lacks a name or type", i);
    l->name = g_strdup (name);
    model->n_layers++;
    for (k = 0; k < G_N_ELEMENTS (layer_types); k++)
      if (strcmp (type, layer_types[k].name) == 0)
        break;
    if (k == G_N_ELEMENTS (layer_types))
      FAIL (ILGNET_ERROR_UNSUPPORTED, "layer \"%s\" has unsupported type "
          "\"%s\"", name, type);
    l->type = layer_types[k].type;
    l->type_name = layer_types[k].name;

    bottoms = member_string_array (lo, "bottom", &ok1);
    tops = member_string_array (lo, "top", &ok2);
    tblobs = member_string_array (lo, "blobs", &ok3);
    if (!ok1 || !ok2 || !ok3)
      FAIL (ILGNET_ERROR_FORMAT, "layer \"%s\": bottom, top and blobs must be "
          "arrays of names", name);
    if (json_object_has_member (lo, "param")) {
      JsonNode *pn = json_object_get_member (lo, "param");
      if (JSON_NODE_TYPE (pn) != JSON_NODE_OBJECT)
        FAIL (ILGNET_ERROR_FORMAT, "layer \"%s\": param is not an object",
            name);
      param = json_node_get_object (pn);
    }
    if (!tops || json_array_get_length (tops) != 1)
      FAIL (ILGNET_ERROR_FORMAT, "layer \"%s\" must have exactly one top",
          name);
    top = json_array_get_string_element (tops, 0);

    if (l->type == ILGNET_LAYER_INPUT) {
      if ((bottoms && json_array_get_length (bottoms) > 0)
          || strcmp (top, in_name) != 0 || model->n_layers != 1)
        FAIL (ILGNET_ERROR_FORMAT, "Input layer \"%s\" must come first and "
            "produce the input blob \"%s\"", name, in_name);
      l->n_bottoms = 0;
      l->top = model->input_blob;
      continue;
    }

    l->n_bottoms = bottoms ? json_array_get_length (bottoms) : 0;
    if (l->n_bottoms < 1 || l->n_bottoms > ILGNET_MAX_BOTTOMS)
      FAIL (ILGNET_ERROR_FORMAT, "layer \"%s\" has %d inputs (1 to %d "
          "allowed)", name, l->n_bottoms, ILGNET_MAX_BOTTOMS);
    if (l->n_bottoms > 1 && l->type != ILGNET_LAYER_CONCAT
        && l->type != ILGNET_LAYER_ELTWISE)
      FAIL (ILGNET_ERROR_FORMAT, "layer \"%s\" (%s) takes one input", name,
          type);
    for (j = 0; j < l->n_bottoms; j++) {
      const char *b = json_array_get_string_element (bottoms, j);
      l->bottoms[j] = ilgnet_model_find_blob (model, b);
      if (l->bottoms[j] < 0)
        FAIL (ILGNET_ERROR_FORMAT, "layer \"%s\" reads blob \"%s\" that no "
            "earlier layer produces", name, b);
    }

    if (!infer_layer (model, l, param, tblobs, &out, error))
      return FALSE;
    if (!check_shape_size (&out, name, error))
      return FALSE;

    if (l->n_bottoms == 1 && strcmp (top, model->blobs[l->bottoms[0]].name)
        == 0) {
      if (!type_allows_in_place (l->type))
        FAIL (ILGNET_ERROR_UNSUPPORTED, "layer \"%s\" (%s) cannot run in "
            "place", name, type);
      if (l->bottoms[0] == model->input_blob)
        FAIL (ILGNET_ERROR_UNSUPPORTED, "layer \"%s\" cannot modify the input "
            "blob in place", name);
      l->in_place = TRUE;
      l->top = l->bottoms[0];
    } else {
      for (j = 0; j < l->n_bottoms; j++)
        if (strcmp (top, model->blobs[l->bottoms[j]].name) == 0)
          FAIL (ILGNET_ERROR_UNSUPPORTED, "layer \"%s\" writes one of its "
              "inputs", name);
      l->top = add_blob (model, top, out);
    }
  }

  model->output_blob = ilgnet_model_find_blob (model, out_name);
  if (model->output_blob < 0)
    FAIL (ILGNET_ERROR_FORMAT, "output blob \"%s\" is not produced by any "
        "layer", out_name);
  if ((gsize) model->high_index >=
      ilgnet_blob_shape_size (&model->blobs[model->output_blob].shape))
    FAIL (ILGNET_ERROR_SHAPE, "output high_index %d is out of range",
        model->high_index);
  return TRUE;
}
