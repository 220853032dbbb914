/* float -> IEEE half conversion, round to nearest even. */
#ifndef ILGNET_CAFFE_HALF_H
#define ILGNET_CAFFE_HALF_H

#include <glib.h>

G_BEGIN_DECLS

/* Converts @n floats.  Uses the F16C instructions when the CPU has them
 * (unless $ILGNET_NO_F16C is set, which tests use to check the portable
 * path); both give identical results. */
void ilgnet_caffe_f32_to_f16 (const float *src, guint16 * dst, gsize n);
guint16 ilgnet_caffe_f32_to_f16_portable (float f);

G_END_DECLS

#endif /* ILGNET_CAFFE_HALF_H */
