/* Convolution: 3x3 stride-1 layers by Winograd F(4x4, 3x3) (conv-
 * winograd.c); others by im2col + SGEMM in blocks of output columns, each
 * task gathering and multiplying its own cache-sized block; 1x1 stride-1
 * unpadded convolutions multiply the input directly, split by output
 * columns.  OpenBLAS runs single-threaded inside the session's tasks, so
 * no second set of spinning threads competes with ours, and each task
 * adds the bias and applies a following ReLU to its block while it is in
 * cache.  int8 weights: conv-i8.c. */
#include "ilgnet-layer.h"
#include "conv-i8.h"
#include "conv-winograd.h"

#include <string.h>

/* Columns per task at least: smaller GEMMs lose more than they gain. */
#define MIN_COLS 128
#define MAX_OUTPUTS (1 << 20)

typedef struct
{
  IlgnetOutputs out;
  IlgnetWindow win;
  int group;
} ConvParams;

/* A kernel's own form of the weights (IlgnetNode.kdata), tagged so that
 * release() knows which it is. */
typedef struct
{
  gboolean winograd;            /* else int8 */
  gpointer data;                /* IlgnetWinograd or IlgnetConvI8 */
} ConvKdata;

typedef struct
{
  const float *src;
  float *cols;
  int c, h, w, oh, ow;
  const IlgnetWindow *p;
} Im2col;

typedef struct
{
  const IlgnetNode *node;
  const float *b;               /* pointwise: the input */
  gsize ldb, b_group_stride;    /* floats between groups' row blocks */
  float *dst;
  int og, k, group;
  gsize ohw;
  gsize chunk;
} GemmJob;

ILGNET_SIMD_CLONES static void
bias_relu_block (float *restrict d, gsize n, float b, gboolean relu,
    float slope)
{
  gsize i;

  if (relu && slope == 0.0f) {
    for (i = 0; i < n; i++)
      d[i] = MAX (d[i] + b, 0.0f);
  } else if (relu) {
    for (i = 0; i < n; i++) {
      float v = d[i] + b;
      d[i] = v > 0 ? v : v * slope;
    }
  } else {
    for (i = 0; i < n; i++)
      d[i] += b;
  }
}

/* d += b, then the fused ReLU (leaky with @slope), if any; also
 * conv-winograd.c's epilogue.  A plain function around the clones: clang
 * makes no callable symbol of an exported target_clones function. */
void
ilgnet_bias_relu (float *restrict d, gsize n, float b, gboolean relu,
    float slope)
{
  bias_relu_block (d, n, b, relu, slope);
}

/* Output columns c0 .. c0 + n - 1 of every group: weights x @b (group g's
 * rows from b + g * group_stride, @ldb a row), then the bias and ReLU on
 * the block while it is in cache. */
static void
gemm_columns (const GemmJob * j, const float *b, gsize ldb, gsize group_stride,
    gsize c0, gsize n)
{
  const IlgnetNode *node = j->node;
  int g, o;

  for (g = 0; g < j->group; g++)
    ilgnet_sgemm (FALSE, j->og, n, j->k, node->w + (gsize) g * j->og * j->k,
        j->k, b + g * group_stride, ldb, FALSE,
        j->dst + (gsize) g * j->og * j->ohw + c0, j->ohw);
  if (node->b || node->fuse_relu)
    for (o = 0; o < j->og * j->group; o++)
      ilgnet_bias_relu (j->dst + o * j->ohw + c0, n, node->b ? node->b[o] : 0,
          node->fuse_relu, node->relu_slope);
}

static void
gemm_task (int task, gpointer data)
{
  const GemmJob *j = data;
  gsize c0 = task * j->chunk, n = MIN (j->chunk, j->ohw - c0);

  gemm_columns (j, j->b + c0, j->ldb, j->b_group_stride, c0, n);
}

/* The column-matrix rows of output positions c0 .. c0 + n - 1, for every
 * input channel, kernel row and kernel column: dst[r][q], n a row. */
static void
im2col_block (const Im2col * a, gsize c0, int n, float *dst)
{
  const IlgnetWindow *p = a->p;
  int c, ki, kj;

  for (c = 0; c < a->c; c++)
    for (ki = 0; ki < p->kh; ki++)
      for (kj = 0; kj < p->kw; kj++, dst += n) {
        const float *src = a->src + (gsize) c * a->h * a->w;
        int xoff = kj * p->dw - p->pw, q = 0;
        gsize pos = c0;

        /* an output row's segment at a time */
        while (q < n) {
          int oy = pos / a->ow, ox0 = pos % a->ow;
          int len = MIN (n - q, a->ow - ox0);
          int iy = oy * p->sh - p->ph + ki * p->dh;
          float *d = dst + q - ox0;     /* d[ox] for ox in [ox0, ox0 + len) */
          int lo = ox0, hi = ox0 + len, ox;

          if (iy < 0 || iy >= a->h) {
            memset (dst + q, 0, len * sizeof (float));
          } else {
            const float *row = src + (gsize) iy * a->w + xoff;
            /* the input column ox * sw + xoff must lie in [0, w) */
            while (lo < hi && lo * p->sw + xoff < 0)
              lo++;
            while (hi > lo && (hi - 1) * p->sw + xoff >= a->w)
              hi--;
            for (ox = ox0; ox < lo; ox++)
              d[ox] = 0;
            if (p->sw == 1)
              memcpy (d + lo, row + lo, (hi - lo) * sizeof (float));
            else
              for (ox = lo; ox < hi; ox++)
                d[ox] = row[ox * p->sw];
            for (ox = hi; ox < ox0 + len; ox++)
              d[ox] = 0;
          }
          q += len;
          pos += len;
        }
      }
}

/* im2col + SGEMM in blocks of output columns: each task gathers its own
 * block of the column matrix (sized to stay in this core's cache) and
 * multiplies it at once, instead of a whole-image column matrix (7.6 MB
 * for conv1) written to memory and read back. */
typedef struct
{
  GemmJob g;
  Im2col a;
  gsize block;
} BlockJob;

static void
block_task (int task, gpointer data)
{
  const BlockJob *b = data;
  const GemmJob *j = &b->g;
  gsize c0 = task * b->block, n = MIN (b->block, j->ohw - c0);
  /* this block's own part of the scratch */
  float *cols = b->a.cols + (gsize) j->k * j->group * c0;

  im2col_block (&b->a, c0, n, cols);
  gemm_columns (j, cols, n, (gsize) j->k * n, c0, n);
}

/* Columns a block: its column matrix about 256 KB, whole 16-column groups */
static gsize
block_columns (gsize rows, gsize ohw)
{
  gsize n = (65536 / MAX (rows, 1)) / 16 * 16;

  return MIN (CLAMP (n, 64, 2048), ohw);
}

/* A 1x1 stride-1 unpadded convolution multiplies the input directly. */
static gboolean
is_pointwise (const IlgnetWindow * p)
{
  return p->kh == 1 && p->kw == 1 && p->sh == 1 && p->sw == 1 && p->ph == 0
      && p->pw == 0;
}

/* The GEMM's shape for @node: og x k weights a group. */
static GemmJob
gemm_job (const IlgnetNode * node, const IlgnetView * in,
    const IlgnetView * out)
{
  const ConvParams *cp = node->layer->params;
  GemmJob j;

  memset (&j, 0, sizeof j);
  j.node = node;
  j.og = out->shape.c / cp->group;
  j.k = in->shape.c / cp->group * cp->win.kh * cp->win.kw;
  j.group = cp->group;
  j.ohw = (gsize) out->shape.h * out->shape.w;
  return j;
}

/* 1x1 stride 1, no pad: the input is the column matrix; split by output
 * columns over the threads. */
static void
pointwise_forward (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n)
{
  GemmJob j = gemm_job (node, in, out);
  gsize ihw = (gsize) in->shape.h * in->shape.w;
  int i, tasks, nt = ilgnet_pool_get_n_threads (s->pool);

  tasks = MAX (1, MIN (nt, (int) (j.ohw / MIN_COLS)));
  /* whole 16-column blocks per task keep the kernels' stores aligned */
  j.chunk = ((j.ohw + tasks - 1) / tasks + 15) / 16 * 16;
  tasks = (j.ohw + j.chunk - 1) / j.chunk;
  j.ldb = ihw;
  /* group g reads input channels g*cg.. */
  j.b_group_stride = (gsize) in->shape.c / j.group * ihw;
  for (i = 0; i < n; i++) {
    j.b = ilgnet_view_image (in, i);
    j.dst = ilgnet_view_image (out, i);
    ilgnet_pool_run (s->pool, tasks, gemm_task, &j);
  }
}

static void
im2col_forward (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n)
{
  const IlgnetWindow *p = &((const ConvParams *) node->layer->params)->win;
  BlockJob b = { gemm_job (node, in, out), {NULL, s->scratch, in->shape.c,
          in->shape.h, in->shape.w, out->shape.h, out->shape.w, p}, 0
  };
  int i;

  b.block = block_columns ((gsize) b.g.k * b.g.group, b.g.ohw);
  for (i = 0; i < n; i++) {
    b.a.src = ilgnet_view_image (in, i);
    b.g.dst = ilgnet_view_image (out, i);
    ilgnet_pool_run (s->pool, (b.g.ohw + b.block - 1) / b.block, block_task,
        &b);
  }
}

static gboolean
conv_parse (IlgnetLayerBuild * b, GError ** error)
{
  ConvParams *p = b->layer->params;
  gint64 group = 1;

  if (!ilgnet_layer_parse_outputs (b, MAX_OUTPUTS, &p->out, error)
      || !ilgnet_layer_parse_window (b, &p->win, TRUE, error)
      || !ilgnet_json_get_int (b->param, "group", 1, MAX_OUTPUTS, &group,
          FALSE, b->what, error))
    return FALSE;
  if (p->win.kh == 0) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_FORMAT,
        "%s has no kernel size", b->what);
    return FALSE;
  }
  p->group = group;
  return TRUE;
}

static gboolean
conv_infer (IlgnetLayerBuild * b, GError ** error)
{
  const ConvParams *p = b->layer->params;
  const IlgnetWindow *win = &p->win;
  const IlgnetBlobShape *in = b->in[0];
  const IlgnetTensor *w;
  int o = p->out.num_output;

  if (in->c % p->group || o % p->group) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_SHAPE, "%s: group %d does "
        "not divide %d inputs and %d outputs", b->what, p->group, in->c, o);
    return FALSE;
  }
  if (!ilgnet_layer_bind_weights (b, &p->out, error))
    return FALSE;
  w = b->layer->weight;
  if (w->ndim != 4 || w->shape[0] != o || w->shape[1] != in->c / p->group
      || w->shape[2] != win->kh || w->shape[3] != win->kw) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_SHAPE, "%s: weight \"%s\" "
        "must be [%d, %d, %d, %d]", b->what, w->name, o, in->c / p->group,
        win->kh, win->kw);
    return FALSE;
  }
  b->out.c = o;
  b->out.h = ilgnet_conv_out_size (in->h, win->kh, win->sh, win->ph, win->dh);
  b->out.w = ilgnet_conv_out_size (in->w, win->kw, win->sw, win->pw, win->dw);
  b->out.ndim = 4;
  if (b->out.h == 0 || b->out.w == 0) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_SHAPE, "%s: kernel larger "
        "than its %dx%d input", b->what, in->h, in->w);
    return FALSE;
  }
  /* im2col scratch must stay addressable */
  if ((gint64) in->c / p->group * win->kh * win->kw * b->out.h * b->out.w >
      ILGNET_MAX_BLOB_ELEMENTS) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_SHAPE, "%s: too large",
        b->what);
    return FALSE;
  }
  return TRUE;
}

static guint64
conv_flops (const IlgnetModel * m, const IlgnetLayer * l)
{
  const ConvParams *p = l->params;
  const IlgnetBlobShape *in = &m->blobs[l->bottoms[0]].shape;

  /* a multiply and an add per weight and output position */
  return 2 * ilgnet_blob_shape_size (&m->blobs[l->top].shape)
      * (guint64) (in->c / p->group) * p->win.kh * p->win.kw;
}

/* 3x3, stride 1, no dilation, one group: Winograd F(4x4, 3x3) (conv-
 * winograd.c), unless $ILGNET_NO_WINOGRAD is set (tests compare it with
 * im2col + SGEMM). */
static gboolean
usable_winograd (const IlgnetLayer * l)
{
  const ConvParams *p = l->params;
  const IlgnetWindow *w = &p->win;

  return w->kh == 3 && w->kw == 3 && w->sh == 1 && w->sw == 1 && w->dh == 1
      && w->dw == 1 && p->group == 1 && !g_getenv ("ILGNET_NO_WINOGRAD");
}

static void
forward_winograd (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n)
{
  const ConvParams *cp = node->layer->params;

  ilgnet_winograd_forward (s, node, ((ConvKdata *) node->kdata)->data,
      &cp->win, in, out, n);
}

static gsize
conv_scratch (const IlgnetModel * m, const IlgnetLayer * l)
{
  const ConvParams *p = l->params;
  const IlgnetBlobShape *out = &m->blobs[l->top].shape;
  const IlgnetBlobShape *in = &m->blobs[l->bottoms[0]].shape;
  gsize f32 = 0;

  /* the column matrix of all groups */
  if (!is_pointwise (&p->win))
    f32 = (gsize) in->c * p->win.kh * p->win.kw * out->h * out->w;
  if (usable_winograd (l))
    f32 = MAX (f32, ilgnet_winograd_scratch (in->c, out->c, out->h, out->w));
  /* int8: the quantised input and its packed columns (bytes) */
  if (l->weight->dtype == ILGNET_DTYPE_I8)
    f32 = MAX (f32, (ilgnet_conv_i8_scratch (in->c, in->h, in->w, &p->win,
                p->group, out->h, out->w) + 3) / 4);
  return f32;
}

static gboolean
usable_pointwise (const IlgnetLayer * l)
{
  return is_pointwise (&((const ConvParams *) l->params)->win);
}

/* i8 weights with per-channel scales: computed in int8 (conv-i8.c) by the
 * kernel of the CPU's instruction set.  Up to 32768 products a sum keep
 * the int32 sums (and their zero-point correction) from overflowing. */
static gboolean
usable_i8 (const IlgnetLayer * l, IlgnetConvI8Level level)
{
  return l->weight->dtype == ILGNET_DTYPE_I8 && l->weight->scales
      && l->weight->n_elements / l->weight->shape[0] <= 32768
      && ilgnet_conv_i8_level () == level;
}


#define I8_KERNEL(NAME, LEVEL) \
static gboolean \
usable_i8_##NAME (const IlgnetLayer * l) \
{ \
  return usable_i8 (l, LEVEL); \
} \
static void \
forward_i8_##NAME (IlgnetSession * s, const IlgnetNode * node, \
    const IlgnetView * in, const IlgnetView * out, int n) \
{ \
  const ConvParams *cp = node->layer->params; \
  ilgnet_conv_i8_forward (s, node, ((ConvKdata *) node->kdata)->data, \
      &cp->win, LEVEL, in, out, n); \
}

I8_KERNEL (vnni512, ILGNET_CONV_I8_VNNI512)
I8_KERNEL (avx512, ILGNET_CONV_I8_AVX512)
I8_KERNEL (avxvnni, ILGNET_CONV_I8_AVXVNNI)
I8_KERNEL (avx2, ILGNET_CONV_I8_AVX2)
I8_KERNEL (scalar, ILGNET_CONV_I8_SCALAR)

#define I8_ENTRY(NAME) \
  {"i8-" #NAME, ILGNET_DTYPE_I8, usable_i8_##NAME, forward_i8_##NAME}

static const IlgnetKernel conv_kernels[] = {
  I8_ENTRY (vnni512),
  I8_ENTRY (avx512),
  I8_ENTRY (avxvnni),
  I8_ENTRY (avx2),
  I8_ENTRY (scalar),
  {"gemm-1x1", ILGNET_DTYPE_F32, usable_pointwise, pointwise_forward},
  {"winograd-f43", ILGNET_DTYPE_F32, usable_winograd, forward_winograd},
  {"im2col-gemm", ILGNET_DTYPE_F32, NULL, im2col_forward},
  {NULL}
};

/* the int8 kernels' packed weights, Winograd's transformed filters */
static gboolean
conv_prepare (const IlgnetLayer * l, const IlgnetKernel * k, gpointer * kdata)
{
  ConvKdata *kd;

  if (k->weight_dtype != ILGNET_DTYPE_I8 && k->forward != forward_winograd)
    return TRUE;
  kd = g_new0 (ConvKdata, 1);
  kd->winograd = k->forward == forward_winograd;
  kd->data = kd->winograd ? (gpointer) ilgnet_winograd_prepare (l)
      : (gpointer) ilgnet_conv_i8_prepare (l,
      ((const ConvParams *) l->params)->group);
  if (!kd->data) {
    g_free (kd);
    return FALSE;
  }
  *kdata = kd;
  return TRUE;
}

static void
conv_release (gpointer kdata)
{
  ConvKdata *kd = kdata;

  if (!kd)
    return;
  if (kd->winograd)
    ilgnet_winograd_free (kd->data);
  else
    ilgnet_conv_i8_free (kd->data);
  g_free (kd);
}

const IlgnetLayerClass ilgnet_layer_conv = {
  .type = "Convolution",
  .flags = ILGNET_LAYER_TAKES_RELU,
  .params_size = sizeof (ConvParams),
  .caffe_v1 = "CONVOLUTION",
  .parse = conv_parse,
  .infer = conv_infer,
  .flops = conv_flops,
  .scratch = conv_scratch,
  .kernels = conv_kernels,
  .prepare = conv_prepare,
  .release = conv_release,
};
