/* The model loader on corrupt input: truncations at every length, random
 * byte mutations, and targeted inconsistencies (shapes, offsets, overlaps,
 * graph errors).  Each must fail with one ILGNET_ERROR line, or, when a
 * mutation happens to leave a valid file, load and run without crashing. */
#include "ilgnet.h"
#include "model-builder.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static GRand *rnd;
static char *tmp_path;

#define NAMES(...) ((const char *const[]) { __VA_ARGS__, NULL })

static ModelBuilder *
valid_builder (void)
{
  ModelBuilder *mb = model_builder_new (3, 9, 9);
  float w1[4 * 3 * 9], b1[4], w2[2 * 3], w3[2 * 6 * 16], b3[2];
  gint64 s1[4] = { 4, 3, 3, 3 }, s4 = 4, s2[4] = { 2, 3, 1, 1 }, s3[2] = { 2,
    6 * 16
  }, sb = 2;
  const char *t1, *tb1, *t2, *t3, *tb3;

  fill_random (rnd, w1, G_N_ELEMENTS (w1), -1, 1);
  fill_random (rnd, b1, 4, -1, 1);
  fill_random (rnd, w2, 6, -1, 1);
  fill_random (rnd, w3, G_N_ELEMENTS (w3), -0.2, 0.2);
  fill_random (rnd, b3, 2, -1, 1);
  t1 = model_builder_add_tensor (mb, "f16", w1, s1, 4);
  tb1 = model_builder_add_tensor (mb, "f32", b1, &s4, 1);
  t2 = model_builder_add_tensor (mb, "i8", w2, s2, 4);
  t3 = model_builder_add_tensor (mb, "i8", w3, s3, 2);
  tb3 = model_builder_add_tensor (mb, "f32", b3, &sb, 1);
  model_builder_add_layer (mb, "data", "Input", NULL, "data", NULL, "");
  model_builder_add_layer (mb, "c1", "Convolution", NAMES ("data"), "c1",
      NAMES (t1, tb1), "\"num_output\":4,\"kernel\":[3,3],\"stride\":[2,2],"
      "\"pad\":[1,1]");
  model_builder_add_layer (mb, "r1", "ReLU", NAMES ("c1"), "c1", NULL, "");
  model_builder_add_layer (mb, "p1", "Pooling", NAMES ("data"), "p1", NULL,
      "\"pool\":\"max\",\"kernel\":[3,3],\"stride\":[2,2],\"pad\":[1,1]");
  model_builder_add_layer (mb, "c2", "Convolution", NAMES ("p1"), "c2",
      NAMES (t2), "\"num_output\":2,\"kernel\":[1,1],\"bias_term\":false");
  model_builder_add_layer (mb, "n1", "LRN", NAMES ("c1"), "n1", NULL,
      "\"local_size\":3,\"alpha\":0.001,\"beta\":0.75");
  model_builder_add_layer (mb, "cat", "Concat", NAMES ("n1", "c2"), "cat",
      NULL, "");
  model_builder_add_layer (mb, "pool2", "Pooling", NAMES ("cat"), "pool2",
      NULL, "\"pool\":\"ave\",\"kernel\":[2,2],\"stride\":[1,1]");
  model_builder_add_layer (mb, "fc", "InnerProduct", NAMES ("pool2"), "fc",
      NAMES (t3, tb3), "\"num_output\":2");
  model_builder_add_layer (mb, "prob", "Softmax", NAMES ("fc"), "prob", NULL,
      "");
  model_builder_set_output (mb, "prob", 1);
  return mb;
}

#define MUST_FAIL 0
#define MUST_LOAD 1
#define MAY_LOAD 2

/* Loads @bytes; on success runs it once.  Returns TRUE when it loaded. */
static gboolean
try_load (const guint8 * bytes, gsize len, const char *what, int expect)
{
  GError *err = NULL;
  IlgnetModel *m;
  gboolean ok;

  FILE *f = fopen (tmp_path, "wb");

  if (!f || fwrite (bytes, 1, len, f) != len || fclose (f) != 0)
    g_error ("cannot write %s", tmp_path);
  m = ilgnet_model_open (tmp_path, &err);
  ok = m != NULL;
  if (m) {
    IlgnetSession *s = ilgnet_session_new (m, 2, 2, &err);
    if (s) {
      const IlgnetInputSpec *spec = ilgnet_model_get_input_spec (m);
      fill_random (rnd, ilgnet_session_get_input (s),
          2 * (gsize) spec->channels * spec->height * spec->width, -50, 50);
      if (ilgnet_session_run (s, 2, NULL))
        (void) ilgnet_session_get_score (s, 1);
      ilgnet_session_free (s);
    } else {
      g_clear_error (&err);
    }
    ilgnet_model_unref (m);
  } else {
    if (!err || err->domain != ILGNET_ERROR || !err->message[0]
        || strchr (err->message, '\n'))
      g_test_fail_printf ("%s: error is not one ILGNET_ERROR line: %s", what,
          err ? err->message : "(none)");
    if (expect == MUST_LOAD && err)
      fprintf (stderr, "  (%s)\n", err->message);
    g_clear_error (&err);
  }
  if (expect != MAY_LOAD && ok != expect)
    g_test_fail_printf ("%s: %s", what, expect == MUST_LOAD ?
        "valid file rejected" : "corrupt file accepted");
  return ok;
}

/* Re-frames a file around a new header text. */
static guint8 *
with_header (const guint8 * file, gsize len, const char *header, gsize * out)
{
  guint64 hl = 0, nl;
  int i;
  GByteArray *b = g_byte_array_new ();
  GString *h = g_string_new (header);

  for (i = 0; i < 8; i++)
    hl |= (guint64) file[16 + i] << (8 * i);
  while ((24 + h->len) % 64)
    g_string_append_c (h, ' ');
  nl = h->len;
  g_byte_array_append (b, file, 16);
  for (i = 0; i < 8; i++) {
    guint8 v = (nl >> (8 * i)) & 0xff;
    g_byte_array_append (b, &v, 1);
  }
  g_byte_array_append (b, (guint8 *) h->str, h->len);
  g_byte_array_append (b, file + 24 + hl, len - 24 - hl);
  g_string_free (h, TRUE);
  *out = b->len;
  return g_byte_array_free (b, FALSE);
}

static char *
header_of (const guint8 * file)
{
  guint64 hl = 0;
  int i;
  for (i = 0; i < 8; i++)
    hl |= (guint64) file[16 + i] << (8 * i);
  return g_strndup ((const char *) file + 24, hl);
}

/* Replaces the first @from in the header with @to; the result must be
 * rejected. */
static void
edit_rejected (const guint8 * file, gsize len, const char *from,
    const char *to)
{
  char *h = header_of (file), *pos = strstr (h, from), *nh;
  guint8 *nf;
  gsize nlen;
  char *what;

  if (!pos) {
    g_test_fail_printf ("test bug: \"%s\" not in header", from);
    g_free (h);
    return;
  }
  *pos = 0;
  nh = g_strconcat (h, to, pos + strlen (from), NULL);
  nf = with_header (file, len, nh, &nlen);
  what = g_strdup_printf ("header edit \"%s\" -> \"%s\"", from, to);
  try_load (nf, nlen, what, MUST_FAIL);
  g_free (what);
  g_free (nf);
  g_free (nh);
  g_free (h);
}

/* The valid file the cases below corrupt (made in main()) */
static guint8 *file;
static gsize len;

static void
test_valid (void)
{
  try_load (file, len, "valid file", MUST_LOAD);
}

static void
test_missing (void)
{
  GError *err = NULL;

  /* a missing file, a directory */
  g_assert_null (ilgnet_model_open ("/nonexistent/x.ilgnet", &err));
  g_assert_nonnull (err);
  g_clear_error (&err);
  g_assert_null (ilgnet_model_open ("/", &err));
  g_assert_nonnull (err);
  g_clear_error (&err);
}

static void
test_truncated (void)
{
  gsize i;

  /* every truncation */
  for (i = 0; i < len; i += (i < 1024 ? 1 : 7)) {
    char *what = g_strdup_printf ("truncated to %" G_GSIZE_FORMAT, i);
    try_load (file, i, what, MUST_FAIL);
    g_free (what);
  }
}

static void
test_padded (void)
{
  guint8 *copy;

  /* appended bytes */
  copy = g_malloc (len + 64);
  memcpy (copy, file, len);
  memset (copy + len, 0, 64);
  try_load (copy, len + 64, "padded", MUST_FAIL);
  g_free (copy);
}

static void
test_preamble (void)
{
  guint8 *copy;

  /* preamble fields */
  copy = g_memdup2 (file, len);
  copy[0] = 'X';
  try_load (copy, len, "bad magic", MUST_FAIL);
  memcpy (copy, file, len);
  copy[8] = 2;
  try_load (copy, len, "version 2", MUST_FAIL);
  memcpy (copy, file, len);
  copy[12] = 1;
  try_load (copy, len, "flags", MUST_FAIL);
  memcpy (copy, file, len);
  copy[16] += 64;
  try_load (copy, len, "header length +64", MUST_FAIL);
  memcpy (copy, file, len);
  copy[23] = 0x80;
  try_load (copy, len, "huge header length", MUST_FAIL);
  memcpy (copy, file, len);
  copy[16] -= 1;
  try_load (copy, len, "unaligned header length", MUST_FAIL);
  g_free (copy);
}

/* Targeted header edits, each to be rejected: {from, to} */
static const char *const header_edits[][2] = {
  {"\"format\":\"ilgnet\"", "\"format\":\"onnx\""},
  {"\"version\":1", "\"version\":7"},
  {"\"shape\":[4,3,3,3]", "\"shape\":[4,3,3,2]"},
  {"\"shape\":[4,3,3,3]", "\"shape\":[4,3,3,3,1,1]"},
  {"\"shape\":[4,3,3,3]", "\"shape\":[2147483647,2147483647,3,3]"},
  {"\"shape\":[4,3,3,3]", "\"shape\":[4,-3,3,3]"},
  {"\"shape\":[4,3,3,3]", "\"shape\":\"big\""},
  {"\"offset\":0", "\"offset\":4"},
  {"\"offset\":0", "\"offset\":1000000000000"},
  {"\"offset\":0", "\"offset\":-64"},
  {"\"offset\":256", "\"offset\":192"}, /* overlap */
  {"\"nbytes\":216", "\"nbytes\":217"},
  {"\"dtype\":\"f16\"", "\"dtype\":\"f64\""},
  {"\"dtype\":\"f16\"", "\"dtype\":\"f32\""},
  {"\"scales\":\"t2\"", "\"scales\":\"t0\""},
  {"\"scales\":\"t2\"", "\"scales\":\"nope\""},
  {"\"type\":\"LRN\"", "\"type\":\"Deconvolution\""},
  {"\"bottom\":[\"p1\"]", "\"bottom\":[\"prob\"]"},
  {"\"bottom\":[\"p1\"]", "\"bottom\":[\"zz\"]"},
  {"\"bottom\":[\"p1\"]", "\"bottom\":\"p1\""},
  {"\"top\":[\"c2\"]", "\"top\":[\"c2\",\"c3\"]"},
  {"\"top\":[\"c2\"]", "\"top\":[\"p1\"]"},
  {"\"num_output\":4", "\"num_output\":5"},
  {"\"num_output\":4,\"kernel\":[3,3]",
      "\"num_output\":4,\"kernel\":[3,3],\"group\":2"},
  {"\"kernel\":[3,3],\"stride\":[2,2],\"pad\":[1,1]}",
      "\"kernel\":[3,3],\"stride\":[2,2],\"pad\":[3,3]}"},
  {"\"stride\":[2,2],\"pad\":[1,1]}", "\"stride\":[0,2],\"pad\":[1,1]}"},
  {"\"kernel\":[2,2]", "\"kernel\":[50,50]"},
  {"\"local_size\":3", "\"local_size\":4"},
  {"\"pool\":\"ave\"", "\"pool\":\"median\""},
  {"\"pool\":\"ave\"", "\"pool\":7"},
  {"\"num_output\":2}", "\"num_output\":3}"},
  {"\"blob\":\"prob\"", "\"blob\":\"missing\""},
  {"\"high_index\":1", "\"high_index\":2"},
  {"\"shape\":[3,9,9]", "\"shape\":[3,9]"},
  {"\"shape\":[3,9,9]", "\"shape\":[3,9,2]"},
  {"\"channel_order\":\"bgr\"", "\"channel_order\":\"yuv\""},
  {"\"scale\":1", "\"scale\":0"},
  {"\"data_size\":", "\"data_size\":1"},
  {"{\"format\"", "[{\"format\""},
  {"\"layers\":[", "\"layers\":[{},"},
  {"\"alpha\":0.001", "\"alpha\":1e999"},
};

static void
test_header_edits (void)
{
  GString *deep = g_string_new ("");
  guint i;
  int k;

  for (i = 0; i < G_N_ELEMENTS (header_edits); i++)
    edit_rejected (file, len, header_edits[i][0], header_edits[i][1]);
  /* deep nesting and junk */
  for (k = 0; k < 5000; k++)
    g_string_append_c (deep, '[');
  edit_rejected (file, len, "\"architecture", deep->str);
  g_string_free (deep, TRUE);
  edit_rejected (file, len, "\"format\"", "\"for\xff\xfe");
}

/* NaN scales of an i8 tensor */
static void
test_nan_scale (void)
{
  char *h = header_of (file);
  char *p = strstr (h, "\"t2\":{"), *o;
  guint8 *copy;
  gsize off;

  g_assert (p);
  o = strstr (p, "\"offset\":");
  off = g_ascii_strtoull (o + 9, NULL, 10);
  copy = g_memdup2 (file, len);
  memcpy (copy + 24 + strlen (h) + off, "\xff\xff\xff\x7f", 4);
  try_load (copy, len, "NaN scale", MUST_FAIL);
  g_free (copy);
  g_free (h);
}

/* Random mutations, mostly in the preamble and header */
static void
test_mutations (void)
{
  char *h = header_of (file);
  gsize hend = 24 + strlen (h);
  int k, accepted = 0;
  guint8 *copy;

  /* the same mutations whichever cases run (-p) */
  g_rand_set_seed (rnd, 3);
  for (k = 0; k < 3000; k++) {
    int n = g_rand_int_range (rnd, 1, 4), j;
    char *what = g_strdup_printf ("mutation %d", k);
    copy = g_memdup2 (file, len);
    for (j = 0; j < n; j++) {
      gsize at = g_rand_int_range (rnd, 0, 4) ? g_rand_int_range (rnd, 0,
          hend) : g_rand_int_range (rnd, 0, len);
      static const char interesting[] = "0123456789-.,:[]{}\" e";
      copy[at] = g_rand_boolean (rnd) ? g_rand_int_range (rnd, 0, 256) :
          interesting[g_rand_int_range (rnd, 0, sizeof (interesting) - 1)];
    }
    accepted += try_load (copy, len, what, MAY_LOAD);
    g_free (what);
    g_free (copy);
  }
  g_free (h);
  printf ("%d of 3000 random mutations still loaded (and ran)\n", accepted);
}

int
main (int argc, char **argv)
{
  ModelBuilder *mb;
  GError *err = NULL;
  int fd, ret;

  g_test_init (&argc, &argv, NULL);
  /* a failed check is reported and the case goes on, so one run shows
   * every broken check */
  g_test_set_nonfatal_assertions ();
  rnd = g_rand_new_with_seed (3);
  fd = g_file_open_tmp ("ilgnet-loader-XXXXXX.ilgnet", &tmp_path, &err);
  g_assert_no_error (err);
  close (fd);
  mb = valid_builder ();
  file = model_builder_serialize (mb, &len);
  model_builder_free (mb);

  g_test_add_func ("/loader/valid", test_valid);
  g_test_add_func ("/loader/missing", test_missing);
  g_test_add_func ("/loader/truncated", test_truncated);
  g_test_add_func ("/loader/padded", test_padded);
  g_test_add_func ("/loader/preamble", test_preamble);
  g_test_add_func ("/loader/header-edits", test_header_edits);
  g_test_add_func ("/loader/nan-scale", test_nan_scale);
  g_test_add_func ("/loader/mutations", test_mutations);
  ret = g_test_run ();

  g_unlink (tmp_path);
  g_free (tmp_path);
  g_free (file);
  g_rand_free (rnd);
  return ret;
}
