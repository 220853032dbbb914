/* The per-channel input mean, from a Caffe mean.binaryproto or a NumPy
 * .npy file (a mean image is averaged over its pixels). */
#ifndef ILGNET_CAFFE_MEAN_H
#define ILGNET_CAFFE_MEAN_H

#include <glib.h>

G_BEGIN_DECLS

/* Fills @mean[0..@channels) in the file's plane order.  Accepted shapes:
 * [C], [C, H, W], [1, C, H, W] (binaryproto: num/channels/height/width or
 * shape; .npy: float32, float64 or uint8, C order). */
gboolean ilgnet_caffe_mean_load (const char *path, int channels,
    float *mean, GError ** error);

G_END_DECLS

#endif /* ILGNET_CAFFE_MEAN_H */
