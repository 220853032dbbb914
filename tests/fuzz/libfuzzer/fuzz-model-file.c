/* libFuzzer: the .ilgnet model loader (preamble, JSON header, tensors,
 * graph), and a session built and run on what it accepts. */
#include "fuzz-memfile.h"
#include "ilgnet.h"

static void
add_flops (const char *layer, const char *type, const char *kernel,
    guint64 flops, double ms, gpointer user_data)
{
  guint64 *total = user_data;

  *total += flops;
}

/* Work a run would do: a small file can chain many large layers that
 * share one weight tensor, and a run that takes seconds under the
 * sanitizers would be reported as a timeout on a loaded machine. */
static guint64
session_flops (const IlgnetSession * s)
{
  guint64 total = 0;

  ilgnet_session_foreach_kernel_profile (s, add_flops, &total);
  return total;
}

int
LLVMFuzzerTestOneInput (const unsigned char *data, size_t size)
{
  GError *error = NULL;
  IlgnetModel *model = ilgnet_model_open (fuzz_memfile (data, size), &error);
  const IlgnetInputSpec *spec;
  IlgnetSession *s;

  if (!model) {
    /* One line naming the problem, as the API promises. */
    if (!error || !error->message[0] || strchr (error->message, '\n'))
      abort ();
    g_error_free (error);
    return 0;
  }
  spec = ilgnet_model_get_input_spec (model);
  /* A valid file may still ask for a huge input: loading is what is
   * fuzzed there, not the allocator. */
  if ((gint64) spec->channels * spec->height * spec->width <= 1 << 18) {
    s = ilgnet_session_new (model, 1, 1, &error);
    if (s && session_flops (s) > 100000000) {
      ilgnet_session_free (s);
    } else if (s) {
      float *in = ilgnet_session_get_input (s);
      size_t i, n = (size_t) spec->channels * spec->height * spec->width;

      for (i = 0; i < n; i++)
        in[i] = (float) (i % 251) - 125.0f;
      if (!ilgnet_session_run (s, 1, &error))
        g_clear_error (&error);
      ilgnet_session_free (s);
    } else {
      g_clear_error (&error);
    }
  }
  ilgnet_model_unref (model);
  return 0;
}
