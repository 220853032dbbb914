/* libilgnet's decision to use ORC's code for preprocessing agrees with
 * orcc's own self-test of preprocess.orc on this machine: where ORC
 * miscompiles it (ORC 0.4.41, Debian 13, AVX-512), libilgnet must have
 * noticed and use its C loops; where ORC is right, it must use ORC.
 * (tests/lib/test-preprocess checks the preprocessing's values either way.)
 *   test-orc-trust [GTEST OPTIONS] ORCC_TEST_PROGRAM */
#include "ilgnet-private.h"

#include <stdio.h>

static const char *orcc_test_program;

static void
test_orc_trust (void)
{
  gint status = -1;
  GError *error = NULL;
  gboolean orc_ok, trusted;
  char *out = NULL;

  g_assert_true (g_spawn_sync (NULL, (char *[]) { (char *) orcc_test_program,
              NULL }, NULL, 0, NULL, NULL, &out, NULL, &status, &error));
  g_assert_no_error (error);
  orc_ok = g_spawn_check_wait_status (status, NULL);
  trusted = ilgnet_preprocess_orc_trusted ();
  g_test_message ("orcc's self-test of preprocess.orc: %s; libilgnet uses %s",
      orc_ok ? "passed" : "FAILED", trusted ? "ORC" : "its C loops");
  if (!orc_ok)
    g_test_message ("%s", out);
  g_free (out);
  /* libilgnet's check agrees with orcc's self-test */
  g_assert_cmpint (orc_ok, ==, trusted);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (argc != 2) {
    fprintf (stderr, "usage: test-orc-trust [GTEST OPTIONS] "
        "ORCC_TEST_PROGRAM\n");
    return 2;
  }
  orcc_test_program = argv[1];
  g_test_add_func ("/preprocess-orc/trust", test_orc_trust);
  return g_test_run ();
}
