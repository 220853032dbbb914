/* libilgnet's decision to use ORC's code for preprocessing agrees with
 * orcc's own self-test of preprocess.orc on this machine: where ORC
 * miscompiles it (ORC 0.4.41, Debian 13, AVX-512), libilgnet must have
 * noticed and use its C loops; where ORC is right, it must use ORC.
 * (tests/lib/test-preprocess checks the preprocessing's values either way.)
 *   test-orc-trust ORCC_TEST_PROGRAM */
#include "ilgnet-private.h"

#include <stdio.h>

int
main (int argc, char **argv)
{
  gint status = -1;
  GError *error = NULL;
  gboolean orc_ok, trusted;
  char *out = NULL;

  if (argc != 2) {
    fprintf (stderr, "usage: test-orc-trust ORCC_TEST_PROGRAM\n");
    return 2;
  }
  if (!g_spawn_sync (NULL, (char *[]) { argv[1], NULL }, NULL, 0, NULL, NULL,
          &out, NULL, &status, &error)) {
    fprintf (stderr, "cannot run %s: %s\n", argv[1], error->message);
    return 1;
  }
  orc_ok = g_spawn_check_wait_status (status, NULL);
  trusted = ilgnet_preprocess_orc_trusted ();
  printf ("orcc's self-test of preprocess.orc: %s; libilgnet uses %s\n",
      orc_ok ? "passed" : "FAILED", trusted ? "ORC" : "its C loops");
  if (!orc_ok)
    printf ("%s", out);
  g_free (out);
  if (orc_ok != trusted) {
    printf ("FAIL: libilgnet's check disagrees with orcc's self-test\n");
    return 1;
  }
  return 0;
}
