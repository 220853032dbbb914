/* Caffe (deploy prototxt + binary caffemodel) -> .ilgnet model file. */
#ifndef ILGNET_CAFFE_CONVERT_H
#define ILGNET_CAFFE_CONVERT_H

#include "ilgnet-model-writer.h"

G_BEGIN_DECLS

typedef struct
{
  IlgnetStoreType store;        /* convolution and InnerProduct weights */
  gboolean rgb;                 /* the net's planes are R,G,B (else B,G,R) */
  double mean_bgr[3];           /* used when @mean_file is NULL */
  const char *mean_file;        /* mean.binaryproto or .npy, plane order */
  double scale;
  const char *resize;           /* "squash", "center" or "letterbox" */
  const char *name, *architecture, *description, *provenance;
  const char *output_blob;      /* NULL: the last layer's top */
  int high_index;
  gboolean strip_dropout;       /* drop Dropout layers (identity anyway) */
} IlgnetConvertOptions;

typedef struct
{
  int n_layers;
  guint64 n_params;
  guint64 file_size;
} IlgnetConvertStats;

/* ILGNet's defaults: f32, BGR, the AVA1 mean (91.00, 99.46, 107.85),
 * scale 1, squash, output = last top, high index 1. */
void ilgnet_convert_options_init (IlgnetConvertOptions * opts);

/* Converts.  Layers of the prototxt are matched to the caffemodel by name;
 * a missing layer, a wrong blob count or shape, an unsupported layer type
 * or any malformed input is a one-line error and no output is left. */
gboolean ilgnet_caffe_convert (const char *prototxt, const char *caffemodel,
    const char *output, const IlgnetConvertOptions * opts,
    IlgnetConvertStats * stats, GError ** error);

G_END_DECLS

#endif /* ILGNET_CAFFE_CONVERT_H */
