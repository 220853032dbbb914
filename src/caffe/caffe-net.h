/* A Caffe network definition (deploy prototxt, V2 "layer" or V1 "layers"),
 * with Caffe's defaults applied and every blob's shape inferred. */
#ifndef ILGNET_CAFFE_NET_H
#define ILGNET_CAFFE_NET_H

#include "caffe-blob.h"

G_BEGIN_DECLS

/* The layer types whose Caffe parameters the importer reads; other
 * types of libilgnet's registry flagged ILGNET_LAYER_ELEMENTWISE (one
 * input, same shape, no parameters) are ILGNET_CAFFE_ELEMENTWISE. */
typedef enum
{
  ILGNET_CAFFE_INPUT,
  ILGNET_CAFFE_CONVOLUTION,
  ILGNET_CAFFE_INNER_PRODUCT,
  ILGNET_CAFFE_POOLING,
  ILGNET_CAFFE_LRN,
  ILGNET_CAFFE_RELU,
  ILGNET_CAFFE_PRELU,
  ILGNET_CAFFE_CONCAT,
  ILGNET_CAFFE_SOFTMAX,
  ILGNET_CAFFE_DROPOUT,
  ILGNET_CAFFE_BATCH_NORM,
  ILGNET_CAFFE_SCALE,
  ILGNET_CAFFE_ELTWISE,
  ILGNET_CAFFE_FLATTEN,
  ILGNET_CAFFE_ELEMENTWISE
} IlgnetCaffeKind;

typedef enum
{
  ILGNET_CAFFE_ELTWISE_PROD = 0,        /* Caffe's enum values */
  ILGNET_CAFFE_ELTWISE_SUM = 1,
  ILGNET_CAFFE_ELTWISE_MAX = 2
} IlgnetCaffeEltwiseOp;

#define ILGNET_CAFFE_MAX_BLOBS 3

typedef struct
{
  char *name;
  IlgnetCaffeKind kind;
  const char *type_name;        /* the .ilgnet type: "Convolution", ... */
  char **bottom;                /* NULL-terminated */
  char **top;
  int n_bottom, n_top;
  int line, column;             /* of the layer in the prototxt */

  /* Parameters, Caffe defaults filled in. */
  int num_output;
  int kernel[2], stride[2], pad[2], dilation[2];
  int group;
  gboolean bias_term;
  gboolean transpose;           /* InnerProduct weight stored as [K, O] */
  gboolean pool_max;            /* else AVE */
  gboolean global;
  int local_size;
  double alpha, beta, k;
  gboolean within;              /* LRN WITHIN_CHANNEL */
  double negative_slope;
  gboolean channel_shared;
  double eps;
  IlgnetCaffeEltwiseOp eltwise_op;
  double *coeff;
  int n_coeff;

  /* From shape inference (batch dimension 1). */
  IlgnetCaffeShape out_shape;
  int n_params;                 /* parameter blobs the layer needs */
  IlgnetCaffeShape param_shape[ILGNET_CAFFE_MAX_BLOBS];
} IlgnetCaffeLayer;

typedef struct
{
  char *name;                   /* the net's "name", or NULL */
  char *input_blob;
  IlgnetCaffeShape input_shape; /* 1 x C x H x W */
  GPtrArray *layers;            /* IlgnetCaffeLayer*, Input first */
} IlgnetCaffeNet;

/* Parses a prototxt (@what names it in messages: "FILE:LINE:COL: ...") and
 * infers every blob's shape.  Layers excluded from the TEST phase are
 * dropped.  Unknown layer types, missing bottoms and impossible shapes are
 * errors. */
IlgnetCaffeNet *ilgnet_caffe_net_parse (const char *text, gsize len,
    const char *what, GError ** error);
IlgnetCaffeNet *ilgnet_caffe_net_load (const char *path, GError ** error);
void ilgnet_caffe_net_free (IlgnetCaffeNet * net);

G_END_DECLS

#endif /* ILGNET_CAFFE_NET_H */
