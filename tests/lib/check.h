/* The tiny check harness of the tests/lib programs: CHECK() records a
 * failure and goes on, so one run reports every broken case, and
 * check_finish() turns the count into the exit status meson reads. */
#ifndef ILGNET_TEST_CHECK_H
#define ILGNET_TEST_CHECK_H

#include <glib.h>
#include <stdio.h>

static int failures;

#define CHECK(cond, ...) G_STMT_START { \
    if (!(cond)) { \
      failures++; \
      fprintf (stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf (stderr, __VA_ARGS__); \
      fprintf (stderr, "\n"); \
    } \
  } G_STMT_END

/* Prints the outcome of the @what checks; returns main()'s exit status. */
static inline int
check_finish (const char *what)
{
  if (failures)
    fprintf (stderr, "%d check(s) failed\n", failures);
  else
    printf ("all %s checks passed\n", what);
  return failures ? 1 : 0;
}

#endif
