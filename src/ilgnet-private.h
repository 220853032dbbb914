/* libilgnet internals shared by the library's files; not installed. */
#ifndef ILGNET_PRIVATE_H
#define ILGNET_PRIVATE_H

#include "ilgnet.h"
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  ILGNET_DTYPE_F32,
  ILGNET_DTYPE_F16,
  ILGNET_DTYPE_I8
} IlgnetDtype;

#define ILGNET_MAX_DIMS 4

typedef struct _IlgnetTensor IlgnetTensor;
struct _IlgnetTensor
{
  char *name;
  IlgnetDtype dtype;
  int ndim;
  gint64 shape[ILGNET_MAX_DIMS];
  guint64 n_elements;
  guint64 offset;               /* in the data section */
  guint64 nbytes;
  const void *data;             /* inside the mapping */
  const IlgnetTensor *scales;   /* i8 only: f32 [shape[0]] */
  gboolean is_scales;           /* referenced as another tensor's scales */
};

typedef enum
{
  ILGNET_LAYER_INPUT,
  ILGNET_LAYER_CONVOLUTION,
  ILGNET_LAYER_INNER_PRODUCT,
  ILGNET_LAYER_POOLING,
  ILGNET_LAYER_LRN,
  ILGNET_LAYER_RELU,
  ILGNET_LAYER_PRELU,
  ILGNET_LAYER_CONCAT,
  ILGNET_LAYER_SOFTMAX,
  ILGNET_LAYER_DROPOUT,
  ILGNET_LAYER_BATCH_NORM,
  ILGNET_LAYER_SCALE,
  ILGNET_LAYER_ELTWISE,
  ILGNET_LAYER_FLATTEN
} IlgnetLayerType;

typedef enum
{
  ILGNET_ELTWISE_SUM,
  ILGNET_ELTWISE_PROD,
  ILGNET_ELTWISE_MAX
} IlgnetEltwiseOp;

#define ILGNET_MAX_BOTTOMS 16

typedef struct
{
  int num_output;
  int kh, kw, sh, sw, ph, pw, dh, dw;
  int group;
  gboolean bias_term;
  gboolean pool_max;            /* pooling: MAX, else AVE */
  gboolean global;
  int local_size;
  float alpha, beta, k;
  gboolean lrn_within;
  float negative_slope;
  gboolean channel_shared;
  float eps;
  IlgnetEltwiseOp op;
  float coeff[ILGNET_MAX_BOTTOMS];
} IlgnetLayerParams;

/* Shape of a blob for ONE image: C x H x W (H = W = 1 for vectors). */
typedef struct
{
  int c, h, w;
  int ndim;                     /* 2 for N x C vectors, else 4 */
} IlgnetBlobShape;

typedef struct
{
  char *name;
  IlgnetBlobShape shape;
} IlgnetBlobInfo;

typedef struct
{
  char *name;
  const char *type_name;
  IlgnetLayerType type;
  int n_bottoms;
  int bottoms[ILGNET_MAX_BOTTOMS];      /* blob ids */
  int top;                      /* blob id (one top per layer) */
  gboolean in_place;
  const IlgnetTensor *weight, *bias;    /* or slope/mean/scale ... */
  const IlgnetTensor *blob2;            /* BatchNorm variance */
  IlgnetLayerParams p;
} IlgnetLayer;

struct _IlgnetModel
{
  gint refcount;
  char *path;
  guint8 *map;
  gsize map_size;
  const guint8 *data;           /* data section */
  guint64 data_size;

  GHashTable *fields;           /* string fields of the header */
  char *name;
  IlgnetInputSpec input;
  IlgnetResize resize;
  int input_blob;
  int output_blob;
  int high_index;

  IlgnetTensor *tensors;
  int n_tensors;
  guint64 n_params;

  IlgnetLayer *layers;
  int n_layers;
  IlgnetBlobInfo *blobs;
  int n_blobs;
};

/* model-file.c / model-graph.c */
gboolean ilgnet_model_parse_header (IlgnetModel * model, const char *json,
    gsize len, GError ** error);
gboolean ilgnet_model_build_graph (IlgnetModel * model, JsonArray * layers,
    GError ** error);
const IlgnetTensor *ilgnet_model_find_tensor (const IlgnetModel * model,
    const char *name);
int ilgnet_model_find_blob (const IlgnetModel * model, const char *name);

static inline gsize
ilgnet_blob_shape_size (const IlgnetBlobShape * s)
{
  return (gsize) s->c * s->h * s->w;
}

/* blas.c: loads OpenBLAS once, if not done yet (see there why early);
 * failures are reported by the first session */
void ilgnet_blas_preload (void);

/* preprocess.c: validates an image and an optional region of it */
gboolean ilgnet_image_check (const IlgnetImage * image, const IlgnetRect * roi,
    GError ** error);

/* Elementwise kernels built for several instruction sets, picked at load
 * time (ifunc), so they vectorize with AVX2 / AVX-512 where available while
 * the library still runs on any x86-64. */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__)
#define ILGNET_SIMD_CLONES \
  __attribute__((target_clones ("avx512f", "avx2", "default")))
#else
#define ILGNET_SIMD_CLONES
#endif

/* fp16 -> f32 */
float ilgnet_half_to_float (guint16 h);

/* Turns any tensor into a newly allocated f32 array (dequantized). */
float *ilgnet_tensor_to_f32 (const IlgnetTensor * t);

G_END_DECLS

#endif /* ILGNET_PRIVATE_H */
