/* Input: names the net's input blob.  model-graph.c gives that blob the
 * header's input shape; nothing runs (the caller fills the blob). */
#include "ilgnet-layer.h"

const IlgnetLayerClass ilgnet_layer_input = {
  .type = "Input",
  .flags = ILGNET_LAYER_SOURCE,
};
