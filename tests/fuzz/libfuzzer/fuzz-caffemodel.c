/* libFuzzer: the protobuf wire reader, walked over every nested message
 * (as a caffemodel's layers and blobs are), and the caffemodel indexer
 * with its BlobProto parser. */
#include "fuzz-memfile.h"
#include "caffe-blob.h"
#include "caffe-weights.h"
#include "caffe-wire.h"

/* Reads every field; LEN payloads are tried as messages, and as packed
 * varints, to @depth. */
static void
walk (IlgnetWireReader * r, int depth)
{
  IlgnetWireField f;
  GError *error = NULL;

  while (ilgnet_wire_next (r, &f, &error)) {
    if (f.wire == ILGNET_WIRE_LEN && depth > 0) {
      IlgnetWireReader sub;
      IlgnetCaffeBlob blob;
      const guint8 *p = f.data;
      guint64 v;

      ilgnet_wire_reader_sub (r, &f, &sub);
      walk (&sub, depth - 1);
      while (ilgnet_wire_varint (&p, f.data + f.len, &v));
      /* Any message may be a blob. */
      ilgnet_wire_reader_sub (r, &f, &sub);
      memset (&blob, 0, sizeof (blob));
      if (ilgnet_caffe_blob_parse (&sub, &blob, "fuzz blob", &error)) {
        float buf[16];
        guint64 n = blob.count;

        if (n)
          ilgnet_caffe_blob_read (&blob, 0, n < 16 ? n : 16, buf);
      } else {
        g_clear_error (&error);
      }
      ilgnet_caffe_blob_clear (&blob);
    }
  }
  g_clear_error (&error);
}

int
LLVMFuzzerTestOneInput (const unsigned char *data, size_t size)
{
  IlgnetWireReader r;
  IlgnetCaffeWeights *w;
  GError *error = NULL;

  ilgnet_wire_reader_init (&r, data, data, size, "fuzz.caffemodel");
  walk (&r, 6);

  w = ilgnet_caffe_weights_open (fuzz_memfile (data, size), &error);
  if (w) {
    ilgnet_caffe_weights_find (w, "conv1");
    ilgnet_caffe_weights_free (w);
  } else {
    if (!error || strchr (error->message, '\n'))
      abort ();
    g_error_free (error);
  }
  return 0;
}
