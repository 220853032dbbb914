/* The layer registry, kept the way ncnn and ggml keep theirs: each layer
 * type is one IlgnetLayerClass, exported by its own src/layer-NAME.c as
 * ilgnet_layer_NAME.  The list of those files in src/meson.build is the
 * registry (it generates ilgnet-layer-list.h), so adding a layer type means
 * adding one file and its line there.  Graph building, shape inference,
 * memory planning, kernel choice, dispatch and profiling only look at the
 * class; none of them names a layer type. */
#ifndef ILGNET_LAYER_H
#define ILGNET_LAYER_H

#include "ilgnet-session-private.h"

G_BEGIN_DECLS

/* Blobs (and im2col matrices) stay addressable with 32-bit sizes */
#define ILGNET_MAX_BLOB_ELEMENTS ((gint64) 1 << 31)

/* What the graph builder, the planner and the executor may assume. */
typedef enum
{
  /* may write its input's blob (Caffe's in-place layers) */
  ILGNET_LAYER_IN_PLACE = 1 << 0,
  /* takes 1 to ILGNET_MAX_BOTTOMS inputs (else exactly one) */
  ILGNET_LAYER_MANY_INPUTS = 1 << 1,
  /* the net's input: no inputs, produces the input blob, never runs */
  ILGNET_LAYER_SOURCE = 1 << 2,
  /* its output equals its input (Dropout at inference): nothing runs when
   * it works in place */
  ILGNET_LAYER_IDENTITY = 1 << 3,
  /* its output is its input's values reshaped (Flatten): may share them */
  ILGNET_LAYER_VIEW = 1 << 4,
  /* its output is its inputs one after another (Concat): they may be
   * produced straight into it */
  ILGNET_LAYER_GATHER = 1 << 5,
  /* runs once over all images of a run instead of image by image
   * (InnerProduct reads its weights once per group of images) */
  ILGNET_LAYER_BATCHED = 1 << 6,
  /* applies an in-place ReLU that follows it on its own output */
  ILGNET_LAYER_TAKES_RELU = 1 << 7,
  /* one input, output shaped like it, no parameters and no weights: the
   * Caffe importer takes such a layer by its type name alone */
  ILGNET_LAYER_ELEMENTWISE = 1 << 8
} IlgnetLayerFlags;

/* Runs images 0..n-1 of @in (n_bottoms views) into @out. */
typedef void (*IlgnetForwardFunc) (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n);

/* One implementation of a layer.  A class lists them by preference; a
 * session takes, per layer, the first one that reads the layer's weights
 * in their stored dtype and is usable, else the first usable one reading
 * f32 (the session then keeps f32 copies of the weights).  Variants for
 * other instruction sets or parameters (Winograd for 3x3, VNNI for i8)
 * are further entries whose usable() checks the CPU and the layer. */
struct _IlgnetKernel
{
  const char *name;             /* shown in profiles: "im2col-sgemm" */
  IlgnetDtype weight_dtype;     /* as it reads the weight tensor */
  gboolean (*usable) (const IlgnetLayer * l);   /* NULL: always */
  IlgnetForwardFunc forward;
};

/* A layer while its graph is built: its JSON and its inputs' shapes. */
typedef struct
{
  IlgnetModel *model;
  IlgnetLayer *layer;
  const char *what;             /* "layer \"NAME\"", for messages */
  JsonObject *param;            /* the layer's "param", or NULL */
  JsonArray *tensor_names;      /* the layer's "blobs", or NULL */
  const IlgnetBlobShape *in[ILGNET_MAX_BOTTOMS];
  IlgnetBlobShape out;
} IlgnetLayerBuild;

struct _IlgnetLayerClass
{
  const char *type;             /* as in the model file: "Convolution" */
  guint flags;                  /* IlgnetLayerFlags */
  gsize params_size;            /* the layer's own parameter struct */
  /* The Caffe importer's V1 spelling ("CONVOLUTION"), or NULL for types
   * V1 never had. */
  const char *caffe_v1;

  /* Reads layer->params from b->param (NULL: no parameters). */
  gboolean (*parse) (IlgnetLayerBuild * b, GError ** error);
  /* Checks the inputs, binds weight tensors and sets b->out (NULL: output
   * shaped like the first input). */
  gboolean (*infer) (IlgnetLayerBuild * b, GError ** error);
  /* Floating-point operations for one image (NULL: one per output). */
  guint64 (*flops) (const IlgnetModel * m, const IlgnetLayer * l);
  /* Floats of session scratch one image needs (NULL: none). */
  gsize (*scratch) (const IlgnetModel * m, const IlgnetLayer * l);
  /* Whether the layer is y = x > 0 ? x : slope * x, and its slope (NULL:
   * it is not); TAKES_RELU layers then apply it themselves. */
  gboolean (*as_relu) (const IlgnetLayer * l, float *slope);
  /* By preference; ends with an entry whose name is NULL.  NULL for the
   * source layer. */
  const IlgnetKernel *kernels;
  /* The chosen kernel's own form of the layer's weights, made once per
   * session into IlgnetNode.kdata (NULL: the kernel has none; FALSE: out
   * of memory) and freed by release() with the session (NULL: none). */
  gboolean (*prepare) (const IlgnetLayer * l, const IlgnetKernel * k,
      gpointer * kdata);
  void (*release) (gpointer kdata);
};

/* layers.c: the registry */
const IlgnetLayerClass *ilgnet_layer_class_find (const char *type);
/* by Caffe V1 enum name ("RELU") */
const IlgnetLayerClass *ilgnet_layer_class_find_caffe_v1 (const char *v1);
guint64 ilgnet_layer_flops (const IlgnetModel * m, const IlgnetLayer * l);

/* layers.c: for infer(): weight tensor @i of the layer, checked to hold
 * @n values when @n >= 0; NULL (with @error) when missing or wrong. */
const IlgnetTensor *ilgnet_layer_bind_tensor (IlgnetLayerBuild * b, guint i,
    gint64 n, GError ** error);

/* output-size.c: Caffe's rules, the only copies in C (the Caffe importer
 * uses them too).  0 when the (dilated) kernel does not fit the padded
 * input. */
gint64 ilgnet_conv_out_size (gint64 in, int kernel, int stride, int pad,
    int dilation);
/* ceil rounding; a last window starting in the padding is dropped */
gint64 ilgnet_pool_out_size (gint64 in, int kernel, int stride, int pad);

/* A sliding window (Convolution, Pooling): kernel, stride, pad, dilation. */
typedef struct
{
  int kh, kw, sh, sw, ph, pw, dh, dw;
} IlgnetWindow;

/* layers.c: reads "kernel", "stride", "pad" (and "dilation" when
 * @dilation) into @win, limits checked. */
gboolean ilgnet_layer_parse_window (IlgnetLayerBuild * b, IlgnetWindow * win,
    gboolean dilation, GError ** error);

/* The outputs of a layer with weights (Convolution, InnerProduct). */
typedef struct
{
  int num_output;
  gboolean bias_term;
} IlgnetOutputs;

/* layers.c: reads "num_output" (1..@max, required) and "bias_term"
 * (default true). */
gboolean ilgnet_layer_parse_outputs (IlgnetLayerBuild * b, int max,
    IlgnetOutputs * o, GError ** error);
/* layers.c: binds weight tensor 0 (its shape is the caller's to check)
 * and, with a bias term, bias tensor 1 of num_output values. */
gboolean ilgnet_layer_bind_weights (IlgnetLayerBuild * b,
    const IlgnetOutputs * o, GError ** error);

/* layers.c: runs @plane on each channel plane of images 0..n-1 of @in
 * into @out (the per-channel layers PReLU, BatchNorm, Scale). */
typedef void (*IlgnetPlaneFunc) (const IlgnetNode * node, int c,
    const float *x, float *y, gsize hw);
void ilgnet_layer_foreach_plane (const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n,
    IlgnetPlaneFunc plane);

/* layer-dropout.c: copies input to output unless they are one buffer
 * (Dropout and Flatten) */
void ilgnet_layer_forward_copy (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n);

/* framing-term.c: a model's side output that scores what a crop discards */
#define ILGNET_FRAMING_BLOB "framing/cells"
void ilgnet_framing_adjust (const float *cells, int channels, int gh, int gw,
    int width, int height, const IlgnetRect * boxes, int n, float p0,
    float *scores);

/* layer-conv.c: d[i] += b for i < n, then the ReLU if @relu (leaky with
 * @slope); the convolution kernels' epilogue */
void ilgnet_bias_relu (float *restrict d, gsize n, float b, gboolean relu,
    float slope);

G_END_DECLS

#endif /* ILGNET_LAYER_H */
