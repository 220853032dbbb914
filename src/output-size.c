/* Output sizes of sliding windows by Caffe's rules.  These are the only
 * copies of the rules in C: the runtime's shape inference (layer-conv.c,
 * layer-pool.c) and the Caffe importer (src/caffe/caffe-net.c) both call
 * them, so a converted model always has the shapes its runtime infers. */
#include "ilgnet-layer.h"

gint64
ilgnet_conv_out_size (gint64 in, int kernel, int stride, int pad,
    int dilation)
{
  gint64 extent = (gint64) dilation * (kernel - 1) + 1;

  if (in + 2 * (gint64) pad < extent)
    return 0;
  /* floor rounding */
  return (in + 2 * (gint64) pad - extent) / stride + 1;
}

gint64
ilgnet_pool_out_size (gint64 in, int kernel, int stride, int pad)
{
  gint64 out;

  if (in + 2 * (gint64) pad < kernel)
    return 0;
  /* ceil rounding, then the last window must start inside the image or
   * its left padding, not only in the right padding */
  out = (in + 2 * (gint64) pad - kernel + stride - 1) / stride + 1;
  if (pad > 0 && (out - 1) * stride >= in + pad)
    out--;
  return out;
}
