/* libFuzzer: the prototxt text-format parser and the net description read
 * from it (layers, params, shapes). */
#include <stdlib.h>
#include <string.h>

#include "caffe-net.h"
#include "caffe-textformat.h"

int
LLVMFuzzerTestOneInput (const unsigned char *data, size_t size)
{
  GError *error = NULL;
  IlgnetPbMsg *msg;
  IlgnetCaffeNet *net;

  msg = ilgnet_pb_text_parse ((const char *) data, size, "fuzz.prototxt",
      &error);
  if (msg)
    ilgnet_pb_msg_free (msg);
  else
    g_clear_error (&error);

  net = ilgnet_caffe_net_parse ((const char *) data, size, "fuzz.prototxt",
      &error);
  if (net) {
    ilgnet_caffe_net_free (net);
  } else {
    if (!error || strchr (error->message, '\n'))
      abort ();
    g_error_free (error);
  }
  return 0;
}
