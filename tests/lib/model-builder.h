/* Test helper: builds small .ilgnet files in memory (independently of the
 * library's reader) so layer tests do not depend on the converter. */
#ifndef MODEL_BUILDER_H
#define MODEL_BUILDER_H

#include <glib.h>

typedef struct _ModelBuilder ModelBuilder;

ModelBuilder *model_builder_new (int c, int h, int w);
void model_builder_free (ModelBuilder * b);
/* Adds an f32 tensor, or quantized to "f16" / "i8" (per-row scales) when
 * @dtype says so; returns the tensor name (owned by the builder). */
const char *model_builder_add_tensor (ModelBuilder * b, const char *dtype,
    const float *values, const gint64 * shape, int ndim);
/* Appends a layer; @bottoms / @blobs are NULL-terminated, @param_json the
 * inside of the "param" object ("" for none). */
void model_builder_add_layer (ModelBuilder * b, const char *name,
    const char *type, const char *const *bottoms, const char *top,
    const char *const *blobs, const char *param_json);
void model_builder_set_output (ModelBuilder * b, const char *blob,
    int high_index);
void model_builder_set_input_extra (ModelBuilder * b, const char *json);
/* The file's bytes (newly allocated). */
guint8 *model_builder_serialize (ModelBuilder * b, gsize * len);
/* Writes the file into a fresh temp path (g_free it). */
char *model_builder_write (ModelBuilder * b);

/* What a quantized tensor decodes to, for references. */
void model_builder_dequantize (const char *dtype, float *values,
    gint64 rows, gint64 per_row);

/* Random numbers for tests, reproducible. */
void fill_random (GRand * r, float *v, gsize n, float lo, float hi);
/* A GTest case that draws random numbers */
typedef struct
{
  const char *path;
  void (*func) (void);
} SeededTest;
/* main() of a test program of such cases: g_test_init(), non-fatal
 * assertions (a failed check is reported and its case goes on, so one run
 * shows every broken check), then the @cases (up to one with a NULL path),
 * each run after *@rnd (made here, freed after the run) is reseeded with
 * @seed, so that a case draws the same numbers whichever cases run (-p).
 * Returns g_test_run()'s exit status. */
int run_seeded_tests (int *argc, char ***argv, GRand ** rnd, guint32 seed,
    const SeededTest * cases);

#endif
