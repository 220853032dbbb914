/* ilgnet-fuzz-load MODEL
 *
 * Opens MODEL, makes a session of batch 2 and runs it once on a fixed
 * input.  Prints the two scores and exits 0, or prints one error line and
 * exits 1.  The fuzz test feeds it corrupt models: any signal (or a
 * sanitizer / valgrind report) is a bug in libilgnet. */
#include "ilgnet.h"

#include <stdio.h>

int
main (int argc, char **argv)
{
  IlgnetModel *model;
  IlgnetSession *s;
  const IlgnetInputSpec *spec;
  GError *error = NULL;
  gsize i, n;
  float *in;

  if (argc != 2) {
    fprintf (stderr, "usage: ilgnet-fuzz-load MODEL\n");
    return 2;
  }
  model = ilgnet_model_open (argv[1], &error);
  if (!model)
    goto fail;
  spec = ilgnet_model_get_input_spec (model);
  s = ilgnet_session_new (model, 2, 1, &error);
  if (!s) {
    ilgnet_model_unref (model);
    goto fail;
  }
  in = ilgnet_session_get_input (s);
  n = (gsize) 2 * spec->channels * spec->height * spec->width;
  for (i = 0; i < n; i++)
    in[i] = (float) ((i * 7919) % 255) - 120.0f;
  if (!ilgnet_session_run (s, 2, &error)) {
    ilgnet_session_free (s);
    ilgnet_model_unref (model);
    goto fail;
  }
  printf ("%g %g\n", ilgnet_session_get_score (s, 0),
      ilgnet_session_get_score (s, 1));
  ilgnet_session_free (s);
  ilgnet_model_unref (model);
  return 0;

fail:
  fprintf (stderr, "ilgnet-fuzz-load: %s\n", error->message);
  g_error_free (error);
  return 1;
}
