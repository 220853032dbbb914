/* libFuzzer: the mean readers (Caffe mean.binaryproto, NumPy .npy), for 1
 * and 3 channels. */
#include "fuzz-memfile.h"
#include "caffe-mean.h"

int
LLVMFuzzerTestOneInput (const unsigned char *data, size_t size)
{
  const char *path = fuzz_memfile (data, size);
  int channels[] = { 3, 1 };
  unsigned i;

  for (i = 0; i < 2; i++) {
    float mean[3];
    GError *error = NULL;

    if (!ilgnet_caffe_mean_load (path, channels[i], mean, &error)) {
      if (!error || strchr (error->message, '\n'))
        abort ();
      g_error_free (error);
    }
  }
  return 0;
}
