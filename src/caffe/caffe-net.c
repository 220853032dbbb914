/* Caffe deploy prototxt -> IlgnetCaffeNet: layer parameters with Caffe's
 * defaults and shape inference with Caffe's rules (ceil pooling, kernel_h /
 * kernel_w, repeated kernel_size, ...), so that caffemodel blobs can be
 * checked against the shapes the net needs. */
#include "caffe-net.h"
#include "caffe-textformat.h"
#include "caffe-weights.h"
#include "ilgnet-layer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Far beyond any real layer; keeps products of dimensions well inside
 * 64 bits and rejects nonsense early with a clear message. */
#define MAX_CHANNELS (1 << 24)
#define MAX_SPATIAL (1 << 16)
#define MAX_KERNEL 1024

/* How the importer reads a type's parameters; its names, V1 spelling and
 * whether it may run in place come from libilgnet's layer registry. */
typedef struct
{
  const char *type;             /* the registry's (V2) name */
  IlgnetCaffeKind kind;
  const char *param;            /* the *_param sub-message */
} TypeInfo;

static const TypeInfo types[] = {
  {"Input", ILGNET_CAFFE_INPUT, "input_param"},
  {"Convolution", ILGNET_CAFFE_CONVOLUTION, "convolution_param"},
  {"InnerProduct", ILGNET_CAFFE_INNER_PRODUCT, "inner_product_param"},
  {"Pooling", ILGNET_CAFFE_POOLING, "pooling_param"},
  {"LRN", ILGNET_CAFFE_LRN, "lrn_param"},
  {"ReLU", ILGNET_CAFFE_RELU, "relu_param"},
  {"PReLU", ILGNET_CAFFE_PRELU, "prelu_param"},
  {"Concat", ILGNET_CAFFE_CONCAT, "concat_param"},
  {"Softmax", ILGNET_CAFFE_SOFTMAX, "softmax_param"},
  {"Dropout", ILGNET_CAFFE_DROPOUT, "dropout_param"},
  {"BatchNorm", ILGNET_CAFFE_BATCH_NORM, "batch_norm_param"},
  {"Scale", ILGNET_CAFFE_SCALE, "scale_param"},
  {"Eltwise", ILGNET_CAFFE_ELTWISE, "eltwise_param"},
  {"Flatten", ILGNET_CAFFE_FLATTEN, "flatten_param"},
};

typedef struct
{
  const char *what;             /* file name */
  GHashTable *shapes;           /* blob name -> IlgnetCaffeShape* */
} Ctx;

#define LAYER_FAIL(ctx, l, code, ...) G_STMT_START { \
    char *m_ = g_strdup_printf (__VA_ARGS__); \
    g_set_error (error, ILGNET_ERROR, code, "%s:%d:%d: layer '%s': %s", \
        (ctx)->what, (l)->line, (l)->column, (l)->name, m_); \
    g_free (m_); \
    return FALSE; \
  } G_STMT_END

static void
layer_free (gpointer data)
{
  IlgnetCaffeLayer *l = data;

  g_free (l->name);
  g_strfreev (l->bottom);
  g_strfreev (l->top);
  g_free (l->coeff);
  g_free (l);
}

void
ilgnet_caffe_net_free (IlgnetCaffeNet * net)
{
  if (!net)
    return;
  g_free (net->name);
  g_free (net->input_blob);
  if (net->layers)
    g_ptr_array_unref (net->layers);
  g_free (net);
}

static const char *
shape_str (const IlgnetCaffeShape * s)
{
  static char buf[160];
  return ilgnet_caffe_shape_str (s, buf, sizeof buf);
}

/* ---- Parameters ---------------------------------------------------------- */

/* A kernel/pad/stride/dilation pair: "NAME: v" (repeated up to twice) or
 * HW_BASE_h / HW_BASE_w.  Caffe needs both of _h and _w for pooling and
 * for a convolution's kernel (@required or @both); a convolution's missing
 * pad_w or stride_w takes the default. */
static gboolean
get_pair (Ctx * ctx, IlgnetCaffeLayer * l, const IlgnetPbMsg * p,
    const char *name, const char *hw_base, gint64 min, gint64 max,
    gint64 def, gboolean required, gboolean both, int out[2],
    GError ** error)
{
  guint n = ilgnet_pb_msg_count (p, name);
  char *hn = hw_base ? g_strdup_printf ("%s_h", hw_base) : NULL;
  char *wn = hw_base ? g_strdup_printf ("%s_w", hw_base) : NULL;
  gboolean has_h = hn && ilgnet_pb_msg_get (p, hn);
  gboolean has_w = wn && ilgnet_pb_msg_get (p, wn);
  gint64 v[2] = { def, def };
  gboolean ok = FALSE;
  guint i;

  if (has_h || has_w) {
    if (n > 0) {
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
          "%s:%d:%d: layer '%s': give either %s or %s/%s", ctx->what,
          l->line, l->column, l->name, name, hn, wn);
      goto out;
    }
    if ((required || both) && !(has_h && has_w)) {
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
          "%s:%d:%d: layer '%s': both %s and %s are needed", ctx->what,
          l->line, l->column, l->name, hn, wn);
      goto out;
    }
    if (!ilgnet_pb_msg_int (p, hn, min, max, def, &v[0], ctx->what, error)
        || !ilgnet_pb_msg_int (p, wn, min, max, def, &v[1], ctx->what, error))
      goto out;
  } else if (n == 0) {
    if (required) {
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
          "%s:%d:%d: layer '%s': %s is required", ctx->what, l->line,
          l->column, l->name, name);
      goto out;
    }
  } else if (n > 2) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_UNSUPPORTED,
        "%s:%d:%d: layer '%s': %u values of %s; only 2-D layers are "
        "supported", ctx->what, l->line, l->column, l->name, n, name);
    goto out;
  } else {
    for (i = 0; i < n; i++)
      if (!ilgnet_pb_field_int (ilgnet_pb_msg_nth (p, name, i), min, max,
              &v[i], ctx->what, error))
        goto out;
    if (n == 1)
      v[1] = v[0];
  }
  out[0] = v[0];
  out[1] = v[1];
  ok = TRUE;
out:
  g_free (hn);
  g_free (wn);
  return ok;
}

/* num_output, which Caffe requires (its default 0 makes no layer). */
static gboolean
parse_num_output (Ctx * ctx, IlgnetCaffeLayer * l, const IlgnetPbMsg * p,
    GError ** error)
{
  gint64 v;

  if (!ilgnet_pb_msg_int (p, "num_output", 1, MAX_CHANNELS, 0, &v, ctx->what,
          error))
    return FALSE;
  if (v == 0)
    LAYER_FAIL (ctx, l, ILGNET_ERROR_FORMAT, "num_output is required");
  l->num_output = v;
  return TRUE;
}

/* An axis-like parameter the importer supports one value of: @want (also
 * its default), or @alias, which means the same for 4-D blobs. */
static gboolean
require_int (Ctx * ctx, IlgnetCaffeLayer * l, const IlgnetPbMsg * p,
    const char *key, int want, int alias, GError ** error)
{
  gint64 v;

  if (!ilgnet_pb_msg_int (p, key, -4, 4, want, &v, ctx->what, error))
    return FALSE;
  if (v != want && v != alias)
    LAYER_FAIL (ctx, l, ILGNET_ERROR_UNSUPPORTED, "only %s %d is supported",
        key, want);
  return TRUE;
}

static gboolean
parse_convolution (Ctx * ctx, IlgnetCaffeLayer * l, const IlgnetPbMsg * p,
    GError ** error)
{
  const char *w = ctx->what;
  gint64 v;

  if (!parse_num_output (ctx, l, p, error))
    return FALSE;
  if (!get_pair (ctx, l, p, "kernel_size", "kernel", 1, MAX_KERNEL, 0,
          TRUE, TRUE, l->kernel, error)
      || !get_pair (ctx, l, p, "stride", "stride", 1, MAX_KERNEL, 1,
          FALSE, FALSE, l->stride, error)
      || !get_pair (ctx, l, p, "pad", "pad", 0, MAX_KERNEL, 0, FALSE,
          FALSE, l->pad, error)
      || !get_pair (ctx, l, p, "dilation", NULL, 1, MAX_KERNEL, 1, FALSE,
          FALSE, l->dilation, error))
    return FALSE;
  if (!ilgnet_pb_msg_int (p, "group", 1, MAX_CHANNELS, 1, &v, w, error))
    return FALSE;
  l->group = v;
  if (!ilgnet_pb_msg_bool (p, "bias_term", TRUE, &l->bias_term, w, error))
    return FALSE;
  if (!require_int (ctx, l, p, "axis", 1, -3, error))
    return FALSE;
  if (l->num_output % l->group)
    LAYER_FAIL (ctx, l, ILGNET_ERROR_SHAPE, "num_output %d is not a "
        "multiple of group %d", l->num_output, l->group);
  return TRUE;
}

static gboolean
parse_pooling (Ctx * ctx, IlgnetCaffeLayer * l, const IlgnetPbMsg * p,
    GError ** error)
{
  const char *w = ctx->what;
  const char *s;

  if (!ilgnet_pb_msg_string (p, "pool", TRUE, "MAX", &s, w, error))
    return FALSE;
  if (!strcmp (s, "MAX") || !strcmp (s, "0"))
    l->pool_max = TRUE;
  else if (!strcmp (s, "AVE") || !strcmp (s, "1"))
    l->pool_max = FALSE;
  else
    LAYER_FAIL (ctx, l, ILGNET_ERROR_UNSUPPORTED, "pool %s is not "
        "supported (MAX or AVE)", s);
  if (!ilgnet_pb_msg_bool (p, "global_pooling", FALSE, &l->global, w,
          error)
      || !get_pair (ctx, l, p, "kernel_size", "kernel", 1, MAX_KERNEL, 0,
          !l->global, TRUE, l->kernel, error)
      || !get_pair (ctx, l, p, "stride", "stride", 1, MAX_KERNEL, 1,
          FALSE, TRUE, l->stride, error)
      || !get_pair (ctx, l, p, "pad", "pad", 0, MAX_KERNEL, 0, FALSE,
          TRUE, l->pad, error))
    return FALSE;
  if (!l->global && (l->pad[0] >= l->kernel[0]
          || l->pad[1] >= l->kernel[1]))
    LAYER_FAIL (ctx, l, ILGNET_ERROR_SHAPE, "pad must be smaller than "
        "the kernel");
  return TRUE;
}

static gboolean
parse_lrn (Ctx * ctx, IlgnetCaffeLayer * l, const IlgnetPbMsg * p,
    GError ** error)
{
  const char *w = ctx->what;
  const char *s;
  gint64 v;

  if (!ilgnet_pb_msg_int (p, "local_size", 1, 1023, 5, &v, w, error))
    return FALSE;
  l->local_size = v;
  if (!ilgnet_pb_msg_double (p, "alpha", 1.0, &l->alpha, w, error)
      || !ilgnet_pb_msg_double (p, "beta", 0.75, &l->beta, w, error)
      || !ilgnet_pb_msg_double (p, "k", 1.0, &l->k, w, error)
      || !ilgnet_pb_msg_string (p, "norm_region", TRUE,
          "ACROSS_CHANNELS", &s, w, error))
    return FALSE;
  if (!strcmp (s, "ACROSS_CHANNELS") || !strcmp (s, "0"))
    l->within = FALSE;
  else if (!strcmp (s, "WITHIN_CHANNEL") || !strcmp (s, "1"))
    l->within = TRUE;
  else
    LAYER_FAIL (ctx, l, ILGNET_ERROR_UNSUPPORTED, "unknown norm_region "
        "%s", s);
  if (l->local_size % 2 == 0)
    LAYER_FAIL (ctx, l, ILGNET_ERROR_FORMAT, "local_size must be odd");
  if (!isfinite (l->alpha) || !isfinite (l->beta) || !isfinite (l->k))
    LAYER_FAIL (ctx, l, ILGNET_ERROR_FORMAT, "alpha, beta and k must "
        "be finite");
  return TRUE;
}

static gboolean
parse_eltwise (Ctx * ctx, IlgnetCaffeLayer * l, const IlgnetPbMsg * p,
    GError ** error)
{
  const char *w = ctx->what;
  const char *s;
  guint i, n = ilgnet_pb_msg_count (p, "coeff");
  if (!ilgnet_pb_msg_string (p, "operation", TRUE, "SUM", &s, w, error))
    return FALSE;
  if (!strcmp (s, "SUM") || !strcmp (s, "1"))
    l->eltwise_op = ILGNET_CAFFE_ELTWISE_SUM;
  else if (!strcmp (s, "PROD") || !strcmp (s, "0"))
    l->eltwise_op = ILGNET_CAFFE_ELTWISE_PROD;
  else if (!strcmp (s, "MAX") || !strcmp (s, "2"))
    l->eltwise_op = ILGNET_CAFFE_ELTWISE_MAX;
  else
    LAYER_FAIL (ctx, l, ILGNET_ERROR_UNSUPPORTED, "unknown operation %s",
        s);
  if (n && l->eltwise_op != ILGNET_CAFFE_ELTWISE_SUM)
    LAYER_FAIL (ctx, l, ILGNET_ERROR_FORMAT, "coeff is only for SUM");
  if (n && (int) n != l->n_bottom)
    LAYER_FAIL (ctx, l, ILGNET_ERROR_FORMAT, "%u coeff for %d bottoms",
        n, l->n_bottom);
  l->coeff = g_new0 (double, MAX (n, 1));
  l->n_coeff = n;
  for (i = 0; i < n; i++) {
    if (!ilgnet_pb_field_double (ilgnet_pb_msg_nth (p, "coeff", i),
            &l->coeff[i], w, error))
      return FALSE;
    if (!isfinite (l->coeff[i]))
      LAYER_FAIL (ctx, l, ILGNET_ERROR_FORMAT, "coeff must be finite");
  }
  return TRUE;
}

static gboolean
parse_inner_product (Ctx * ctx, IlgnetCaffeLayer * l, const IlgnetPbMsg * p,
    GError ** error)
{
  const char *w = ctx->what;

  if (!parse_num_output (ctx, l, p, error))
    return FALSE;
  return ilgnet_pb_msg_bool (p, "bias_term", TRUE, &l->bias_term, w, error)
      && ilgnet_pb_msg_bool (p, "transpose", FALSE, &l->transpose, w, error)
      && require_int (ctx, l, p, "axis", 1, 1, error);
}

static gboolean
parse_scale (Ctx * ctx, IlgnetCaffeLayer * l, const IlgnetPbMsg * p,
    GError ** error)
{
  return ilgnet_pb_msg_bool (p, "bias_term", FALSE, &l->bias_term,
      ctx->what, error)
      && require_int (ctx, l, p, "axis", 1, 1, error)
      && require_int (ctx, l, p, "num_axes", 1, 1, error);
}

static gboolean
parse_params (Ctx * ctx, IlgnetCaffeLayer * l, const IlgnetPbMsg * p,
    GError ** error)
{
  const char *w = ctx->what;
  gint64 v;

  switch (l->kind) {
    case ILGNET_CAFFE_CONVOLUTION:
      return parse_convolution (ctx, l, p, error);

    case ILGNET_CAFFE_INNER_PRODUCT:
      return parse_inner_product (ctx, l, p, error);

    case ILGNET_CAFFE_POOLING:
      return parse_pooling (ctx, l, p, error);

    case ILGNET_CAFFE_LRN:
      return parse_lrn (ctx, l, p, error);

    case ILGNET_CAFFE_RELU:
      if (!ilgnet_pb_msg_double (p, "negative_slope", 0.0,
              &l->negative_slope, w, error))
        return FALSE;
      if (!isfinite (l->negative_slope))
        LAYER_FAIL (ctx, l, ILGNET_ERROR_FORMAT, "negative_slope must be "
            "finite");
      return TRUE;

    case ILGNET_CAFFE_PRELU:
      return ilgnet_pb_msg_bool (p, "channel_shared", FALSE,
          &l->channel_shared, w, error);

    case ILGNET_CAFFE_CONCAT:
      if (!ilgnet_pb_msg_int (p, "axis", -4, 3, 1, &v, w, error))
        return FALSE;
      if (!ilgnet_pb_msg_get (p, "axis")
          && !ilgnet_pb_msg_int (p, "concat_dim", 0, 3, 1, &v, w, error))
        return FALSE;
      /* Negative axes count from the end; checked once shapes are known. */
      l->kernel[0] = v;
      return TRUE;

    case ILGNET_CAFFE_SOFTMAX:
      if (!ilgnet_pb_msg_int (p, "axis", -4, 3, 1, &v, w, error))
        return FALSE;
      l->kernel[0] = v;
      return TRUE;

    case ILGNET_CAFFE_BATCH_NORM:
      if (!ilgnet_pb_msg_double (p, "eps", 1e-5, &l->eps, w, error))
        return FALSE;
      if (!isfinite (l->eps) || l->eps < 0)
        LAYER_FAIL (ctx, l, ILGNET_ERROR_FORMAT, "eps must be >= 0");
      return TRUE;

    case ILGNET_CAFFE_SCALE:
      return parse_scale (ctx, l, p, error);

    case ILGNET_CAFFE_ELTWISE:
      return parse_eltwise (ctx, l, p, error);

    case ILGNET_CAFFE_FLATTEN:
      return require_int (ctx, l, p, "axis", 1, 1, error)
          && require_int (ctx, l, p, "end_axis", -1, 3, error);

    case ILGNET_CAFFE_INPUT:
    case ILGNET_CAFFE_DROPOUT:
    case ILGNET_CAFFE_ELEMENTWISE:
      return TRUE;
  }
  return TRUE;
}

/* ---- Shapes -------------------------------------------------------------- */

static void
set_shape (IlgnetCaffeShape * s, int ndim, gint64 d0, gint64 d1, gint64 d2,
    gint64 d3)
{
  gint64 d[4] = { d0, d1, d2, d3 };
  int i;

  memset (s, 0, sizeof *s);
  s->ndim = ndim;
  for (i = 0; i < ndim; i++)
    s->dim[i] = d[i];
}

static gboolean
infer_convolution (Ctx * ctx, IlgnetCaffeLayer * l,
    const IlgnetCaffeShape * const *in, GError ** error)
{
  IlgnetCaffeShape *out = &l->out_shape;
  gint64 c, h, wd, oh, ow;
  if (in[0]->ndim != 4)
    LAYER_FAIL (ctx, l, ILGNET_ERROR_SHAPE, "needs a 4-D input, got %s",
        shape_str (in[0]));
  c = in[0]->dim[1];
  h = in[0]->dim[2];
  wd = in[0]->dim[3];
  if (c % l->group)
    LAYER_FAIL (ctx, l, ILGNET_ERROR_SHAPE, "%" G_GINT64_FORMAT " input "
        "channels are not a multiple of group %d", c, l->group);
  oh = ilgnet_conv_out_size (h, l->kernel[0], l->stride[0], l->pad[0],
      l->dilation[0]);
  ow = ilgnet_conv_out_size (wd, l->kernel[1], l->stride[1], l->pad[1],
      l->dilation[1]);
  if (oh == 0 || ow == 0)
    LAYER_FAIL (ctx, l, ILGNET_ERROR_SHAPE, "kernel %dx%d does not fit "
        "the %s input", l->kernel[0], l->kernel[1], shape_str (in[0]));
  set_shape (out, 4, 1, l->num_output, oh, ow);
  l->n_params = l->bias_term ? 2 : 1;
  set_shape (&l->param_shape[0], 4, l->num_output, c / l->group,
      l->kernel[0], l->kernel[1]);
  set_shape (&l->param_shape[1], 1, l->num_output, 0, 0, 0);
  return TRUE;
}

static gboolean
infer_pooling (Ctx * ctx, IlgnetCaffeLayer * l,
    const IlgnetCaffeShape * const *in, GError ** error)
{
  IlgnetCaffeShape *out = &l->out_shape;
  gint64 h, wd, oh, ow;
  if (in[0]->ndim != 4)
    LAYER_FAIL (ctx, l, ILGNET_ERROR_SHAPE, "needs a 4-D input, got %s",
        shape_str (in[0]));
  h = in[0]->dim[2];
  wd = in[0]->dim[3];
  if (l->global) {
    l->kernel[0] = h;
    l->kernel[1] = wd;
    l->stride[0] = l->stride[1] = 1;
    l->pad[0] = l->pad[1] = 0;
  }
  oh = ilgnet_pool_out_size (h, l->kernel[0], l->stride[0], l->pad[0]);
  ow = ilgnet_pool_out_size (wd, l->kernel[1], l->stride[1], l->pad[1]);
  if (oh == 0 || ow == 0)
    LAYER_FAIL (ctx, l, ILGNET_ERROR_SHAPE, "kernel %dx%d does not fit "
        "the %s input", l->kernel[0], l->kernel[1], shape_str (in[0]));
  set_shape (out, 4, 1, in[0]->dim[1], oh, ow);
  return TRUE;
}

static gboolean
infer_concat (Ctx * ctx, IlgnetCaffeLayer * l,
    const IlgnetCaffeShape * const *in, GError ** error)
{
  IlgnetCaffeShape *out = &l->out_shape;
  int i;
  int axis = l->kernel[0] < 0 ? l->kernel[0] + in[0]->ndim : l->kernel[0];
  if (axis != 1)
    LAYER_FAIL (ctx, l, ILGNET_ERROR_UNSUPPORTED, "only concatenation "
        "along channels (axis 1) is supported");
  *out = *in[0];
  for (i = 1; i < l->n_bottom; i++) {
    int d;
    gboolean same = in[i]->ndim == in[0]->ndim;
    for (d = 0; same && d < in[0]->ndim; d++)
      same = d == 1 || in[i]->dim[d] == in[0]->dim[d];
    if (!same) {
      char first[160];
      ilgnet_caffe_shape_str (in[0], first, sizeof first);
      LAYER_FAIL (ctx, l, ILGNET_ERROR_SHAPE, "bottom '%s' is %s, "
          "which does not fit '%s' (%s) outside axis 1", l->bottom[i],
          shape_str (in[i]), l->bottom[0], first);
    }
    out->dim[1] += in[i]->dim[1];
  }
  if (out->dim[1] > MAX_CHANNELS)
    LAYER_FAIL (ctx, l, ILGNET_ERROR_SHAPE, "too many channels");
  return TRUE;
}

static gboolean
infer_channel_params (Ctx * ctx, IlgnetCaffeLayer * l,
    const IlgnetCaffeShape * const *in, GError ** error)
{
  IlgnetCaffeShape *out = &l->out_shape;
  gint64 c;
  if (in[0]->ndim < 2)
    LAYER_FAIL (ctx, l, ILGNET_ERROR_SHAPE, "needs channels, got %s",
        shape_str (in[0]));
  c = in[0]->dim[1];
  *out = *in[0];
  if (l->kind == ILGNET_CAFFE_PRELU) {
    l->n_params = 1;
    set_shape (&l->param_shape[0], 1, l->channel_shared ? 1 : c, 0, 0, 0);
  } else if (l->kind == ILGNET_CAFFE_BATCH_NORM) {
    l->n_params = 3;
    set_shape (&l->param_shape[0], 1, c, 0, 0, 0);
    set_shape (&l->param_shape[1], 1, c, 0, 0, 0);
    set_shape (&l->param_shape[2], 1, 1, 0, 0, 0);
  } else {
    l->n_params = l->bias_term ? 2 : 1;
    set_shape (&l->param_shape[0], 1, c, 0, 0, 0);
    set_shape (&l->param_shape[1], 1, c, 0, 0, 0);
  }
  return TRUE;
}

static gboolean
infer (Ctx * ctx, IlgnetCaffeLayer * l, GError ** error)
{
  const IlgnetCaffeShape *in[64];
  IlgnetCaffeShape *out = &l->out_shape;
  int i;

  for (i = 0; i < l->n_bottom; i++)
    in[i] = g_hash_table_lookup (ctx->shapes, l->bottom[i]);

  switch (l->kind) {
    case ILGNET_CAFFE_CONVOLUTION:
      return infer_convolution (ctx, l, in, error);

    case ILGNET_CAFFE_INNER_PRODUCT:{
      gint64 k = 1;
      for (i = 1; i < in[0]->ndim; i++)
        k *= in[0]->dim[i];
      set_shape (out, 2, 1, l->num_output, 0, 0);
      l->n_params = l->bias_term ? 2 : 1;
      if (l->transpose)
        set_shape (&l->param_shape[0], 2, k, l->num_output, 0, 0);
      else
        set_shape (&l->param_shape[0], 2, l->num_output, k, 0, 0);
      set_shape (&l->param_shape[1], 1, l->num_output, 0, 0, 0);
      return TRUE;
    }
    case ILGNET_CAFFE_POOLING:
      return infer_pooling (ctx, l, in, error);

    case ILGNET_CAFFE_LRN:
      if (in[0]->ndim != 4)
        LAYER_FAIL (ctx, l, ILGNET_ERROR_SHAPE, "needs a 4-D input, got %s",
            shape_str (in[0]));
      *out = *in[0];
      return TRUE;
    case ILGNET_CAFFE_CONCAT:
      return infer_concat (ctx, l, in, error);

    case ILGNET_CAFFE_SOFTMAX:{
      int axis = l->kernel[0] < 0 ? l->kernel[0] + in[0]->ndim : l->kernel[0];
      if (axis != 1)
        LAYER_FAIL (ctx, l, ILGNET_ERROR_UNSUPPORTED, "only axis 1 is "
            "supported");
      *out = *in[0];
      return TRUE;
    }
    case ILGNET_CAFFE_ELTWISE:
      for (i = 1; i < l->n_bottom; i++) {
        int d;
        gboolean same = in[i]->ndim == in[0]->ndim;
        for (d = 0; same && d < in[0]->ndim; d++)
          same = in[i]->dim[d] == in[0]->dim[d];
        if (!same)
          LAYER_FAIL (ctx, l, ILGNET_ERROR_SHAPE, "bottom '%s' is %s, not "
              "the shape of '%s'", l->bottom[i], shape_str (in[i]),
              l->bottom[0]);
      }
      *out = *in[0];
      return TRUE;
    case ILGNET_CAFFE_FLATTEN:{
      gint64 k = 1;
      for (i = 1; i < in[0]->ndim; i++)
        k *= in[0]->dim[i];
      set_shape (out, 2, 1, k, 0, 0);
      return TRUE;
    }
    case ILGNET_CAFFE_PRELU:
    case ILGNET_CAFFE_BATCH_NORM:
    case ILGNET_CAFFE_SCALE:
      return infer_channel_params (ctx, l, in, error);

    case ILGNET_CAFFE_RELU:
    case ILGNET_CAFFE_DROPOUT:
    case ILGNET_CAFFE_ELEMENTWISE:
      *out = *in[0];
      return TRUE;
    case ILGNET_CAFFE_INPUT:
      break;
  }
  return TRUE;
}

/* ---- Layers -------------------------------------------------------------- */

static gboolean
in_test_phase (const IlgnetPbMsg * m)
{
  guint i, n;

  n = ilgnet_pb_msg_count (m, "include");
  for (i = 0; i < n; i++) {
    const IlgnetPbField *f = ilgnet_pb_msg_nth (m, "include", i);
    const IlgnetPbField *ph = f->msg ? ilgnet_pb_msg_get (f->msg, "phase") :
        NULL;
    if (ph && ph->text && strcmp (ph->text, "TEST") != 0
        && strcmp (ph->text, "1") != 0)
      return FALSE;
  }
  n = ilgnet_pb_msg_count (m, "exclude");
  for (i = 0; i < n; i++) {
    const IlgnetPbField *f = ilgnet_pb_msg_nth (m, "exclude", i);
    const IlgnetPbField *ph = f->msg ? ilgnet_pb_msg_get (f->msg, "phase") :
        NULL;
    if (ph && ph->text && (strcmp (ph->text, "TEST") == 0
            || strcmp (ph->text, "1") == 0))
      return FALSE;
  }
  return TRUE;
}

static char **
string_list (const IlgnetPbMsg * m, const char *name, int *n_out,
    const char *what, GError ** error)
{
  guint i, n = ilgnet_pb_msg_count (m, name);
  char **v = g_new0 (char *, n + 1);

  for (i = 0; i < n; i++) {
    const IlgnetPbField *f = ilgnet_pb_msg_nth (m, name, i);
    if (f->kind != ILGNET_PB_STRING || !f->text[0]) {
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
          "%s:%d:%d: \"%s\" must be a non-empty quoted name", what, f->line,
          f->column, name);
      g_strfreev (v);
      return NULL;
    }
    v[i] = g_strdup (f->text);
  }
  *n_out = n;
  return v;
}

/* The registry's class of a layer's type (V2 names, V1 enum names or
 * numbers) and how the importer reads it; NULL when the importer cannot
 * take it. */
static const IlgnetLayerClass *
lookup_type (const IlgnetPbField * tf, const char **spelled, TypeInfo * ti)
{
  const char *t = tf->text;
  const IlgnetLayerClass *k;
  guint i;

  if (tf->kind == ILGNET_PB_SCALAR && g_ascii_isdigit (t[0])
      && ilgnet_caffe_v1_type_name (g_ascii_strtoull (t, NULL, 10)))
    t = ilgnet_caffe_v1_type_name (g_ascii_strtoull (t, NULL, 10));
  *spelled = t;
  k = tf->kind == ILGNET_PB_STRING ? ilgnet_layer_class_find (t) :
      ilgnet_layer_class_find_caffe_v1 (t);
  if (!k)
    return NULL;
  ti->type = k->type;
  ti->kind = ILGNET_CAFFE_ELEMENTWISE;
  ti->param = NULL;
  for (i = 0; i < G_N_ELEMENTS (types); i++)
    if (!strcmp (types[i].type, k->type))
      *ti = types[i];
  if (ti->kind == ILGNET_CAFFE_ELEMENTWISE
      && !(k->flags & ILGNET_LAYER_ELEMENTWISE))
    return NULL;
  return k;
}

static gboolean
check_input_shape (Ctx * ctx, const char *blob, const IlgnetCaffeShape * s,
    int line, int col, IlgnetCaffeNet * net, GError ** error)
{
  IlgnetCaffeShape *sh;
  int off = s->ndim == 3 ? 0 : 1;

  if ((s->ndim != 4 && s->ndim != 3) || s->dim[off] != 3
      || s->dim[off + 1] < 1 || s->dim[off + 1] > MAX_SPATIAL
      || s->dim[off + 2] < 1 || s->dim[off + 2] > MAX_SPATIAL) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_UNSUPPORTED,
        "%s:%d:%d: input '%s' has shape %s; N x 3 x H x W is needed",
        ctx->what, line, col, blob, shape_str (s));
    return FALSE;
  }
  if (net->input_blob) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_UNSUPPORTED,
        "%s:%d:%d: a second input '%s'; only one input is supported",
        ctx->what, line, col, blob);
    return FALSE;
  }
  net->input_blob = g_strdup (blob);
  set_shape (&net->input_shape, 4, 1, 3, s->dim[off + 1], s->dim[off + 2]);
  sh = g_new (IlgnetCaffeShape, 1);
  *sh = net->input_shape;
  g_hash_table_insert (ctx->shapes, g_strdup (blob), sh);
  return TRUE;
}

static gboolean
read_dims (Ctx * ctx, const IlgnetPbMsg * m, const char *name,
    IlgnetCaffeShape * s, GError ** error)
{
  guint i, n = ilgnet_pb_msg_count (m, name);

  memset (s, 0, sizeof *s);
  if (n > ILGNET_CAFFE_MAX_DIMS)
    n = ILGNET_CAFFE_MAX_DIMS + 1;      /* rejected by the caller */
  for (i = 0; i < n && i < ILGNET_CAFFE_MAX_DIMS; i++) {
    gint64 v;
    if (!ilgnet_pb_field_int (ilgnet_pb_msg_nth (m, name, i), 0,
            G_MAXINT32, &v, ctx->what, error))
      return FALSE;
    s->dim[i] = v;
  }
  s->ndim = n;
  return TRUE;
}

/* Net-level "input:" with "input_dim:" x4 or "input_shape { dim }". */
static gboolean
parse_net_inputs (Ctx * ctx, const IlgnetPbMsg * root, IlgnetCaffeNet * net,
    GError ** error)
{
  guint n = ilgnet_pb_msg_count (root, "input"), i;
  guint n_dim = ilgnet_pb_msg_count (root, "input_dim");
  guint n_shape = ilgnet_pb_msg_count (root, "input_shape");

  for (i = 0; i < n; i++) {
    const IlgnetPbField *f = ilgnet_pb_msg_nth (root, "input", i);
    IlgnetCaffeShape s = { 0 };
    if (f->kind != ILGNET_PB_STRING) {
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
          "%s:%d:%d: \"input\" must be a quoted name", ctx->what, f->line,
          f->column);
      return FALSE;
    }
    if (i < n_shape) {
      const IlgnetPbField *sf = ilgnet_pb_msg_nth (root, "input_shape", i);
      if (sf->kind != ILGNET_PB_MESSAGE) {
        g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
            "%s:%d:%d: \"input_shape\" must be a message", ctx->what,
            sf->line, sf->column);
        return FALSE;
      }
      if (!read_dims (ctx, sf->msg, "dim", &s, error))
        return FALSE;
    } else if (n_dim >= 4 * (i + 1)) {
      guint d;
      for (d = 0; d < 4; d++) {
        gint64 v;
        if (!ilgnet_pb_field_int (ilgnet_pb_msg_nth (root, "input_dim",
                    4 * i + d), 0, G_MAXINT32, &v, ctx->what, error))
          return FALSE;
        s.dim[d] = v;
      }
      s.ndim = 4;
    } else {
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
          "%s:%d:%d: input '%s' has no input_dim or input_shape", ctx->what,
          f->line, f->column, f->text);
      return FALSE;
    }
    if (!check_input_shape (ctx, f->text, &s, f->line, f->column, net, error))
      return FALSE;
  }
  return TRUE;
}

/* An Input layer: only its shape is kept (the caller puts the input
 * first). */
static gboolean
parse_input_layer (Ctx * ctx, IlgnetCaffeLayer * l, const IlgnetPbMsg * pm,
    IlgnetCaffeNet * net, GError ** error)
{
  const IlgnetPbField *sf = pm ? ilgnet_pb_msg_get (pm, "shape") : NULL;
  IlgnetCaffeShape s;

  if (l->n_top != 1 || l->n_bottom != 0)
    LAYER_FAIL (ctx, l, ILGNET_ERROR_UNSUPPORTED, "an Input layer needs "
        "one top and no bottom");
  if (!sf || sf->kind != ILGNET_PB_MESSAGE)
    LAYER_FAIL (ctx, l, ILGNET_ERROR_FORMAT, "input_param { shape { dim "
        "... } } is required");
  if (!read_dims (ctx, sf->msg, "dim", &s, error))
    return FALSE;
  if (!check_input_shape (ctx, l->top[0], &s, l->line, l->column, net,
          error))
    return FALSE;
  g_ptr_array_remove_index (net->layers, net->layers->len - 1);
  return TRUE;
}

/* Tops and bottoms: one top, known bottoms, in place only where the
 * registry allows it, unique names. */
static gboolean
check_connections (Ctx * ctx, IlgnetCaffeLayer * l,
    const IlgnetLayerClass * klass, IlgnetCaffeNet * net, GError ** error)
{
  int i;

  if (l->n_top != 1)
    LAYER_FAIL (ctx, l, ILGNET_ERROR_UNSUPPORTED, "%d tops; exactly one is "
        "supported", l->n_top);
  if (l->n_bottom < 1 || l->n_bottom > ILGNET_MAX_BOTTOMS)
    LAYER_FAIL (ctx, l, ILGNET_ERROR_FORMAT, "%d bottoms", l->n_bottom);
  if (l->n_bottom > 1 && !(klass->flags & ILGNET_LAYER_MANY_INPUTS))
    LAYER_FAIL (ctx, l, ILGNET_ERROR_UNSUPPORTED, "%s takes one bottom, "
        "not %d", l->type_name, l->n_bottom);
  for (i = 0; i < l->n_bottom; i++) {
    if (!g_hash_table_contains (ctx->shapes, l->bottom[i]))
      LAYER_FAIL (ctx, l, ILGNET_ERROR_FORMAT, "bottom '%s' is not produced "
          "by any earlier layer", l->bottom[i]);
    if (!strcmp (l->bottom[i], l->top[0])) {
      if (!(klass->flags & ILGNET_LAYER_IN_PLACE) || l->n_bottom != 1)
        LAYER_FAIL (ctx, l, ILGNET_ERROR_UNSUPPORTED, "%s cannot run in "
            "place", l->type_name);
      if (!strcmp (l->bottom[i], net->input_blob))
        LAYER_FAIL (ctx, l, ILGNET_ERROR_UNSUPPORTED, "cannot change the "
            "input blob '%s' in place", l->bottom[i]);
    }
  }
  if (strcmp (l->bottom[0], l->top[0]) != 0
      && g_hash_table_contains (ctx->shapes, l->top[0]))
    LAYER_FAIL (ctx, l, ILGNET_ERROR_UNSUPPORTED, "top '%s' is already "
        "produced by an earlier layer", l->top[0]);
  for (i = 0; i < (int) net->layers->len - 1; i++) {
    const IlgnetCaffeLayer *o = g_ptr_array_index (net->layers, i);
    if (!strcmp (o->name, l->name))
      LAYER_FAIL (ctx, l, ILGNET_ERROR_FORMAT, "a second layer with this "
          "name (the first is on line %d)", o->line);
  }
  return TRUE;
}

/* The output shape, checked and recorded for later layers. */
static gboolean
record_shape (Ctx * ctx, IlgnetCaffeLayer * l, GError ** error)
{
  IlgnetCaffeShape *sh;
  int j;

  for (j = 0; j < l->out_shape.ndim; j++)
    if (l->out_shape.dim[j] < 1 || l->out_shape.dim[j] > MAX_CHANNELS
        || ilgnet_caffe_shape_count (&l->out_shape) > G_MAXINT32)
      LAYER_FAIL (ctx, l, ILGNET_ERROR_SHAPE, "output shape %s is empty or "
          "too large", shape_str (&l->out_shape));
  sh = g_new (IlgnetCaffeShape, 1);
  *sh = l->out_shape;
  g_hash_table_insert (ctx->shapes, g_strdup (l->top[0]), sh);
  return TRUE;
}

/* A layer's name and type, checked; NULL when it has none. */
static const IlgnetLayerClass *
layer_type (Ctx * ctx, const IlgnetPbField * lf, const char **name,
    TypeInfo * ti, GError ** error)
{
  const IlgnetPbField *tf;
  const IlgnetLayerClass *klass;
  const char *spelled;

  if (!ilgnet_pb_msg_string (lf->msg, "name", FALSE, NULL, name, ctx->what,
          error))
    return NULL;
  if (!*name || !(*name)[0]) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s:%d:%d: layer without a name", ctx->what, lf->line, lf->column);
    return NULL;
  }
  tf = ilgnet_pb_msg_get (lf->msg, "type");
  if (!tf || tf->kind == ILGNET_PB_MESSAGE) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s:%d:%d: layer '%s' has no type", ctx->what, lf->line, lf->column,
        *name);
    return NULL;
  }
  klass = lookup_type (tf, &spelled, ti);
  if (!klass)
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_UNSUPPORTED,
        "%s:%d:%d: layer '%s' has type %s, which is not supported",
        ctx->what, tf->line, tf->column, *name, spelled);
  return klass;
}

static gboolean
parse_layer (Ctx * ctx, const IlgnetPbField * lf, IlgnetCaffeNet * net,
    GError ** error)
{
  const IlgnetPbMsg *m = lf->msg;
  const IlgnetLayerClass *klass;
  const IlgnetPbMsg *pm = NULL;
  IlgnetCaffeLayer *l;
  const char *name;
  TypeInfo ti;

  if (lf->kind != ILGNET_PB_MESSAGE) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s:%d:%d: \"%s\" must be a message { ... }", ctx->what, lf->line,
        lf->column, lf->name);
    return FALSE;
  }
  if (!in_test_phase (m))
    return TRUE;
  if (!(klass = layer_type (ctx, lf, &name, &ti, error)))
    return FALSE;

  l = g_new0 (IlgnetCaffeLayer, 1);
  g_ptr_array_add (net->layers, l);
  l->name = g_strdup (name);
  l->kind = ti.kind;
  l->type_name = ti.type;
  l->line = lf->line;
  l->column = lf->column;
  l->bottom = string_list (m, "bottom", &l->n_bottom, ctx->what, error);
  if (!l->bottom)
    return FALSE;
  l->top = string_list (m, "top", &l->n_top, ctx->what, error);
  if (!l->top)
    return FALSE;
  if (ti.param && !ilgnet_pb_msg_sub (m, ti.param, &pm, ctx->what, error))
    return FALSE;
  if (l->kind == ILGNET_CAFFE_INPUT)
    return parse_input_layer (ctx, l, pm, net, error);
  return check_connections (ctx, l, klass, net, error)
      && parse_params (ctx, l, pm, error) && infer (ctx, l, error)
      && record_shape (ctx, l, error);
}

/* Errors quote names and types from the file, whose strings may hold
 * escaped newlines ("Conv\nx"): control characters are shown as '?' so
 * that every error stays one line (found by fuzz-prototxt). */
static void
one_line_error (GError ** error)
{
  char *c;

  if (!error || !*error)
    return;
  for (c = (*error)->message; *c; c++)
    if ((unsigned char) *c < 0x20 || *c == 0x7f)
      *c = '?';
}

IlgnetCaffeNet *
ilgnet_caffe_net_parse (const char *text, gsize len, const char *what,
    GError ** error)
{
  IlgnetPbMsg *root;
  IlgnetCaffeNet *net;
  IlgnetCaffeLayer *input;
  Ctx ctx;
  const char *name;
  guint i, n_v2, n_v1;
  gboolean ok = FALSE;

  root = ilgnet_pb_text_parse (text, len, what, error);
  if (!root) {
    one_line_error (error);
    return NULL;
  }
  net = g_new0 (IlgnetCaffeNet, 1);
  net->layers = g_ptr_array_new_with_free_func (layer_free);
  ctx.what = what;
  ctx.shapes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);

  n_v2 = ilgnet_pb_msg_count (root, "layer");
  n_v1 = ilgnet_pb_msg_count (root, "layers");
  if (n_v2 && n_v1) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s: the net mixes V2 'layer' and V1 'layers' entries", what);
    goto out;
  }
  if (!n_v2 && !n_v1) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s: no layers; not a Caffe net definition", what);
    goto out;
  }
  if (!ilgnet_pb_msg_string (root, "name", FALSE, NULL, &name, what, error))
    goto out;
  net->name = g_strdup (name);
  if (!parse_net_inputs (&ctx, root, net, error))
    goto out;
  for (i = 0; i < root->fields->len; i++) {
    const IlgnetPbField *f = g_ptr_array_index (root->fields, i);
    if (strcmp (f->name, "layer") && strcmp (f->name, "layers"))
      continue;
    if (!parse_layer (&ctx, f, net, error))
      goto out;
  }
  if (!net->input_blob) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s: the net has no input (an Input layer or input/input_dim)",
        what);
    goto out;
  }
  if (net->layers->len == 0) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s: the net has no layers besides its input", what);
    goto out;
  }
  input = g_new0 (IlgnetCaffeLayer, 1);
  input->name = g_strdup (net->input_blob);
  input->kind = ILGNET_CAFFE_INPUT;
  input->type_name = "Input";
  input->bottom = g_new0 (char *, 1);
  input->top = g_new0 (char *, 2);
  input->top[0] = g_strdup (net->input_blob);
  input->n_top = 1;
  input->out_shape = net->input_shape;
  g_ptr_array_insert (net->layers, 0, input);
  ok = TRUE;

out:
  g_hash_table_destroy (ctx.shapes);
  ilgnet_pb_msg_free (root);
  if (!ok) {
    one_line_error (error);
    ilgnet_caffe_net_free (net);
    return NULL;
  }
  return net;
}

IlgnetCaffeNet *
ilgnet_caffe_net_load (const char *path, GError ** error)
{
  IlgnetCaffeNet *net;
  GError *e = NULL;
  char *text;
  gsize len;

  if (!g_file_get_contents (path, &text, &len, &e)) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_IO, "%s", e->message);
    g_error_free (e);
    return NULL;
  }
  net = ilgnet_caffe_net_parse (text, len, path, error);
  g_free (text);
  return net;
}
