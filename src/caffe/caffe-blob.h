/* Caffe BlobProto: its shape and a view of its values inside a mapping. */
#ifndef ILGNET_CAFFE_BLOB_H
#define ILGNET_CAFFE_BLOB_H

#include "caffe-wire.h"

G_BEGIN_DECLS

#define ILGNET_CAFFE_MAX_DIMS 8

typedef struct
{
  int ndim;
  gint64 dim[ILGNET_CAFFE_MAX_DIMS];
} IlgnetCaffeShape;

/* The values are one of: a packed little-endian float (or double) run
 * inside the mapped file, used in place; or, for the rare unpacked or split
 * encodings, a gathered float copy owned by the blob. */
typedef struct
{
  IlgnetCaffeShape shape;       /* BlobShape, or num/channels/height/width */
  guint64 count;                /* number of values */
  const guint8 *f32;            /* packed floats, maybe unaligned */
  const guint8 *f64;            /* packed doubles (double_data) */
  float *owned;
} IlgnetCaffeBlob;

/* Parses the BlobProto in @r.  The values' count must equal the product of
 * the shape.  Errors name @what (e.g. "layer 'conv1' blob 0"). */
gboolean ilgnet_caffe_blob_parse (IlgnetWireReader * r, IlgnetCaffeBlob * blob,
    const char *what, GError ** error);
void ilgnet_caffe_blob_clear (IlgnetCaffeBlob * blob);

/* Copies values [@start, @start + @n) as floats into @dst. */
void ilgnet_caffe_blob_read (const IlgnetCaffeBlob * blob, guint64 start,
    gsize n, float *dst);

guint64 ilgnet_caffe_shape_count (const IlgnetCaffeShape * s);
/* "64x3x7x7" into @buf. */
const char *ilgnet_caffe_shape_str (const IlgnetCaffeShape * s, char *buf,
    gsize size);
/* Equal once leading dimensions of 1 are dropped (Caffe V1 stored a
 * [O, K] weight as 1x1xOxK). */
gboolean ilgnet_caffe_shape_equivalent (const IlgnetCaffeShape * a,
    const IlgnetCaffeShape * b);

G_END_DECLS

#endif /* ILGNET_CAFFE_BLOB_H */
