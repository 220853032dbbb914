/* The per-pixel kernels of preprocessing (deinterleave + mean + scale, and
 * the resampler's weighted row accumulation): ORC's compiled code when it
 * computes them right on this machine, else plain C loops.
 *
 * Why check: ORC 0.4.41 (Debian 13) miscompiles ilgnet_orc_unpack_u8x4_f32
 * on this project's x86-64 machines (its third output comes out as garbage;
 * orcc's own --test of preprocess.orc fails the same way), which silently
 * changed every score.  So the first call runs both versions on a fixed input covering
 * every byte value and odd lengths and keeps ORC only if they agree. */
#include "ilgnet-private.h"
#include "preprocess-orc.h"

#include <math.h>
#include <string.h>

static void
unpack_c (float *d0, float *d1, float *d2, float *d3, const guint32 * s,
    float m0, float m1, float m2, float m3, float sc, int n)
{
  int i;

  for (i = 0; i < n; i++) {
    guint32 v = s[i];
    d0[i] = ((float) (v & 0xff) - m0) * sc;
    d1[i] = ((float) ((v >> 8) & 0xff) - m1) * sc;
    d2[i] = ((float) ((v >> 16) & 0xff) - m2) * sc;
    d3[i] = ((float) (v >> 24) - m3) * sc;
  }
}

static void
accumulate_c (float *d, const float *s, float w, int n)
{
  int i;

  for (i = 0; i < n; i++)
    d[i] += s[i] * w;
}

static gboolean
close_enough (const float *a, const float *b, int n)
{
  int i;

  for (i = 0; i < n; i++)
    if (!(fabsf (a[i] - b[i]) <= 1e-5f * (1.0f + fabsf (b[i]))))
      return FALSE;
  return TRUE;
}

#define N_CHECK 263             /* > 256 values per lane, not a multiple of 8 */

/* ORC against the C loops on every byte value in every lane. */
static gboolean
orc_agrees (void)
{
  static guint32 src[N_CHECK];
  static float orc[4][N_CHECK], ref[4][N_CHECK];
  int i, k;

  for (i = 0; i < N_CHECK; i++)
    src[i] = (guint32) (i & 0xff) | (guint32) ((i * 7 + 3) & 0xff) << 8 |
        (guint32) ((i * 13 + 5) & 0xff) << 16 | (guint32) ((255 - i) & 0xff) << 24;
  for (k = 1; k <= 2; k++) {    /* two scales: 1 (the usual) and another */
    float sc = k == 1 ? 1.0f : 0.0173f;
    ilgnet_orc_unpack_u8x4_f32 (orc[0], orc[1], orc[2], orc[3], src, 91.0f,
        99.46f, 107.85f, 12.5f, sc, N_CHECK);
    unpack_c (ref[0], ref[1], ref[2], ref[3], src, 91.0f, 99.46f, 107.85f,
        12.5f, sc, N_CHECK);
    for (i = 0; i < 4; i++)
      if (!close_enough (orc[i], ref[i], N_CHECK))
        return FALSE;
  }
  memcpy (orc[1], orc[0], sizeof orc[0]);
  memcpy (ref[1], ref[0], sizeof ref[0]);
  ilgnet_orc_accumulate_f32 (orc[1], orc[2], 0.37f, N_CHECK);
  accumulate_c (ref[1], ref[2], 0.37f, N_CHECK);
  return close_enough (orc[1], ref[1], N_CHECK);
}

gboolean
ilgnet_preprocess_orc_trusted (void)
{
  static gsize once;
  static gboolean trusted;

  if (g_once_init_enter (&once)) {
    trusted = orc_agrees ();
    if (!trusted)
      g_debug ("ORC's code for preprocess.orc disagrees with C on this "
          "machine: preprocessing uses the C loops");
    g_once_init_leave (&once, 1);
  }
  return trusted;
}

void
ilgnet_unpack_u8x4_f32 (float *d0, float *d1, float *d2, float *d3,
    const guint32 * s, const float m[4], float sc, int n)
{
  if (ilgnet_preprocess_orc_trusted ())
    ilgnet_orc_unpack_u8x4_f32 (d0, d1, d2, d3, s, m[0], m[1], m[2], m[3],
        sc, n);
  else
    unpack_c (d0, d1, d2, d3, s, m[0], m[1], m[2], m[3], sc, n);
}

void
ilgnet_accumulate_f32 (float *d, const float *s, float w, int n)
{
  if (ilgnet_preprocess_orc_trusted ())
    ilgnet_orc_accumulate_f32 (d, s, w, n);
  else
    accumulate_c (d, s, w, n);
}
