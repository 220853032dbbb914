/* ilgnet-parity-dump MODEL IN.f32 BATCH PREFIX BLOB...
 *
 * Runs MODEL on the float32 N x C x H x W images of IN.f32, BATCH at a time
 * (the last batch may be partial), and writes every named blob's values
 * for all images to PREFIX000.f32, PREFIX001.f32, ... in the order given.
 * One run dumps all blobs, where ilgnet-score --dump takes one blob per
 * run; the parity test compares ~60 blobs with OpenCV this way. */
#include "ilgnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
fail (GError * error)
{
  fprintf (stderr, "ilgnet-parity-dump: %s\n", error->message);
  g_error_free (error);
  return 1;
}

int
main (int argc, char **argv)
{
  IlgnetModel *model;
  IlgnetSession *s;
  const IlgnetInputSpec *spec;
  GError *error = NULL;
  FILE **out;
  char *buf;
  gsize len, per, n_img, i;
  int batch, n_blobs = argc - 5, b;

  if (argc < 6) {
    fprintf (stderr, "usage: ilgnet-parity-dump MODEL IN.f32 BATCH PREFIX "
        "BLOB...\n");
    return 2;
  }
  batch = atoi (argv[3]);
  model = ilgnet_model_open (argv[1], &error);
  if (!model)
    return fail (error);
  spec = ilgnet_model_get_input_spec (model);
  per = (gsize) spec->channels * spec->height * spec->width;
  if (!g_file_get_contents (argv[2], &buf, &len, &error))
    return fail (error);
  if (len == 0 || len % (per * 4)) {
    fprintf (stderr, "ilgnet-parity-dump: %s is not whole images\n", argv[2]);
    return 1;
  }
  n_img = len / (per * 4);
  s = ilgnet_session_new_full (model, batch, 2, ILGNET_SESSION_KEEP_BLOBS,
      &error);
  if (!s)
    return fail (error);
  out = g_new0 (FILE *, n_blobs);
  for (b = 0; b < n_blobs; b++) {
    char *path = g_strdup_printf ("%s%03d.f32", argv[4], b);
    out[b] = fopen (path, "wb");
    if (!out[b]) {
      fprintf (stderr, "ilgnet-parity-dump: cannot create %s\n", path);
      return 1;
    }
    g_free (path);
  }
  for (i = 0; i < n_img; i += batch) {
    int n = MIN ((gsize) batch, n_img - i);
    memcpy (ilgnet_session_get_input (s), buf + i * per * 4, n * per * 4);
    if (!ilgnet_session_run (s, n, &error))
      return fail (error);
    for (b = 0; b < n_blobs; b++) {
      int shape[4];
      const float *v = ilgnet_session_get_blob (s, argv[5 + b], shape,
          &error);
      gsize size;
      if (!v)
        return fail (error);
      size = (gsize) shape[1] * shape[2] * shape[3];
      if (fwrite (v, 4, size * n, out[b]) != size * n) {
        fprintf (stderr, "ilgnet-parity-dump: write failed\n");
        return 1;
      }
    }
  }
  for (b = 0; b < n_blobs; b++)
    if (fclose (out[b]) != 0)
      return 1;
  g_free (out);
  g_free (buf);
  ilgnet_session_free (s);
  ilgnet_model_unref (model);
  return 0;
}
