/* A binary caffemodel (NetParameter), mapped read-only: its layers' names,
 * types and parameter blobs, pointing into the mapping. */
#ifndef ILGNET_CAFFE_WEIGHTS_H
#define ILGNET_CAFFE_WEIGHTS_H

#include "caffe-blob.h"

G_BEGIN_DECLS

typedef struct
{
  char *name;
  char *type;                   /* V2 type string, or the V1 enum's name */
  IlgnetCaffeBlob *blobs;
  int n_blobs;
} IlgnetCaffeWeightsLayer;

typedef struct _IlgnetCaffeWeights IlgnetCaffeWeights;

/* Maps @path and indexes its layers (both the V2 "layer" and the V1
 * "layers" layout).  Weights are not copied. */
IlgnetCaffeWeights *ilgnet_caffe_weights_open (const char *path,
    GError ** error);
void ilgnet_caffe_weights_free (IlgnetCaffeWeights * w);
/* The layer called @name (the last one if repeated, as Caffe copies them
 * in order), or NULL. */
const IlgnetCaffeWeightsLayer *ilgnet_caffe_weights_find (const
    IlgnetCaffeWeights * w, const char *name);
const char *ilgnet_caffe_weights_get_path (const IlgnetCaffeWeights * w);
guint64 ilgnet_caffe_weights_get_size (const IlgnetCaffeWeights * w);

/* The V1LayerParameter.LayerType name of @value, or NULL. */
const char *ilgnet_caffe_v1_type_name (guint64 value);

G_END_DECLS

#endif /* ILGNET_CAFFE_WEIGHTS_H */
