/* 3x3 stride-1 convolutions by Winograd's minimal filtering, F(4x4, 3x3)
 * (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks",
 * CVPR 2016): each 4x4 block of outputs comes from a 6x6 block of input
 * with 36 multiplications per input and output channel pair instead of
 * 144, so GoogLeNet's 3x3 layers (the default model's largest cost) need
 * a quarter of the multiplications of im2col + SGEMM.
 *
 * Per image, the tile rows are split into tasks of at least 32 tiles
 * (narrower SGEMMs run far below peak) over the session's threads; each
 * task, in its own part of the session's scratch (so that its V and M stay
 * in its core's cache):
 *   1. input transform: V[xi][c][t] = (B^T d B)[xi] for every input channel
 *      c and 6x6 input tile t (zero outside the image: the padding),
 *      vectorized across the tiles;
 *   2. 36 SGEMMs, one per xi: M[xi] (K x T) = U[xi] (K x C) V[xi] (C x T),
 *      with U[xi][k][c] = (G g G^T)[xi] made once per session;
 *   3. output transform: the 4x4 block A^T m A of every output channel k
 *      and tile, plus the bias and a fused ReLU, clipped to the output.
 * conv_scratch sizes the scratch for every tile's V and M.
 *
 * The interpolation points are 0, +-1, +-2 and infinity, as in Lavin's
 * paper; the transforms' rounding stays within the f32 parity tests'
 * 1e-4 (measured against OpenCV DNN on the authors' ILGNet: see
 * tests/parity). */
#include "ilgnet-layer.h"
#include "conv-winograd.h"

#include <string.h>

#define TILE 4                  /* outputs per tile side */
#define IN_TILE 6               /* inputs per tile side */
#define XI 36                   /* IN_TILE * IN_TILE */
#define T_CHUNK 64              /* tiles per output-transform step */
#define MIN_N 32                /* tiles per SGEMM, at least (if there are) */

struct _IlgnetWinograd
{
  int k, c;
  float *u;                     /* [XI][k][c] */
};

/* G (6x3) g (3x3) G^T for one filter, in double. */
static void
filter_transform (const float *g, double out[XI])
{
  static const double G[IN_TILE][3] = {
    {1.0 / 4, 0, 0},
    {-1.0 / 6, -1.0 / 6, -1.0 / 6},
    {-1.0 / 6, 1.0 / 6, -1.0 / 6},
    {1.0 / 24, 1.0 / 12, 1.0 / 6},
    {1.0 / 24, -1.0 / 12, 1.0 / 6},
    {0, 0, 1},
  };
  double tmp[IN_TILE][3];
  int i, j, a;

  for (i = 0; i < IN_TILE; i++)
    for (j = 0; j < 3; j++) {
      double s = 0;
      for (a = 0; a < 3; a++)
        s += G[i][a] * g[a * 3 + j];
      tmp[i][j] = s;
    }
  for (i = 0; i < IN_TILE; i++)
    for (j = 0; j < IN_TILE; j++) {
      double s = 0;
      for (a = 0; a < 3; a++)
        s += tmp[i][a] * G[j][a];
      out[i * IN_TILE + j] = s;
    }
}

IlgnetWinograd *
ilgnet_winograd_prepare (const IlgnetLayer * l)
{
  const IlgnetTensor *t = l->weight;
  int k = t->shape[0], c = t->shape[1], o, i, x;
  float *w = ilgnet_tensor_to_f32 (t);
  IlgnetWinograd *wg;

  if (!w)
    return NULL;
  wg = g_try_new0 (IlgnetWinograd, 1);
  if (wg)
    wg->u = g_try_new (float, (gsize) XI * k * c);
  if (!wg || !wg->u) {
    g_free (wg);
    g_free (w);
    return NULL;
  }
  wg->k = k;
  wg->c = c;
  for (o = 0; o < k; o++)
    for (i = 0; i < c; i++) {
      double u[XI];
      filter_transform (w + ((gsize) o * c + i) * 9, u);
      for (x = 0; x < XI; x++)
        wg->u[((gsize) x * k + o) * c + i] = (float) u[x];
    }
  g_free (w);
  return wg;
}

void
ilgnet_winograd_free (IlgnetWinograd * wg)
{
  if (!wg)
    return;
  g_free (wg->u);
  g_free (wg);
}

static int
n_tiles (int oh, int ow)
{
  return ((oh + TILE - 1) / TILE) * ((ow + TILE - 1) / TILE);
}

gsize
ilgnet_winograd_scratch (int c, int k, int oh, int ow)
{
  return (gsize) XI * (c + k) * n_tiles (oh, ow);
}

typedef struct
{
  const IlgnetWinograd *wg;
  const IlgnetNode *node;
  const float *src;
  float *dst, *scratch;
  int h, w, oh, ow, ph, pw, th, tw, rows_per_task;
} Job;

/* B^T (6x6) applied to 6 rows of n values a[0], a[s], .. into o[0], o[os],
 * .. (vectorized over the n tiles). */
ILGNET_SIMD_CLONES static void
bt_rows (const float *restrict a, gsize s, float *restrict o, gsize os, int n)
{
  int t;

  for (t = 0; t < n; t++) {
    float d0 = a[t], d1 = a[s + t], d2 = a[2 * s + t], d3 = a[3 * s + t],
        d4 = a[4 * s + t], d5 = a[5 * s + t];
    o[t] = 4 * d0 - 5 * d2 + d4;
    o[os + t] = -4 * (d1 + d2) + d3 + d4;
    o[2 * os + t] = 4 * (d1 - d2) - d3 + d4;
    o[3 * os + t] = -2 * (d1 - d3) - d2 + d4;
    o[4 * os + t] = 2 * (d1 - d3) - d2 + d4;
    o[5 * os + t] = 4 * d1 - 5 * d3 + d5;
  }
}

/* d[r][i][q] = input (y0 + r, 4 (tx0 + q) - pw + i) for the n tiles from
 * tx0 of one tile row, zero outside the image (d's rows hold T_CHUNK). */
static void
gather_tile_row (const Job * j, const float *src, int y0, int tx0, float *d,
    int n)
{
  int r, i, tx;

  for (r = 0; r < IN_TILE; r++) {
    int y = y0 + r;
    const float *row = src + (gsize) CLAMP (y, 0, j->h - 1) * j->w;
    for (i = 0; i < IN_TILE; i++) {
      float *o = d + (r * IN_TILE + i) * T_CHUNK;
      /* tiles whose column x = 4 (tx0 + tx) - pw + i lies inside: [lo, hi) */
      int x0 = tx0 * TILE - j->pw + i;
      int lo = x0 >= 0 ? 0 : MIN ((-x0 + TILE - 1) / TILE, n);
      int hi = x0 < j->w ? MIN ((j->w - 1 - x0) / TILE + 1, n) : 0;
      const float *p = row + x0;
      if (y < 0 || y >= j->h)
        lo = hi = n;
      for (tx = 0; tx < lo; tx++)
        o[tx] = 0.0f;
      for (tx = lo; tx < hi; tx++)
        o[tx] = p[tx * TILE];
      for (tx = MAX (hi, lo); tx < n; tx++)
        o[tx] = 0.0f;
    }
  }
}

/* Pass 1 for the tiles t0 .. t0 + n - 1 (n <= T_CHUNK) of every input
 * channel: their 6x6 blocks, transformed, into v[xi][c][q] (ld a channel).
 * The transforms run over all n tiles at once, across tile rows. */
static void
input_tiles (const Job * j, int t0, int n, float *v, int ld)
{
  gsize plane = (gsize) j->wg->c * ld;  /* between xi planes */
  float d[XI * T_CHUNK], tmp[XI * T_CHUNK];
  int c, q, i;

  for (c = 0; c < j->wg->c; c++) {
    const float *src = j->src + (gsize) c * j->h * j->w;
    /* a row segment at a time */
    for (q = 0; q < n;) {
      int t = t0 + q, ty = t / j->tw, tx = t % j->tw;
      int len = MIN (n - q, j->tw - tx);
      gather_tile_row (j, src, ty * TILE - j->ph, tx, d + q, len);
      q += len;
    }
    /* columns: tmp[r'][i] = sum over r of B^T[r'][r] d[r][i] */
    for (i = 0; i < IN_TILE; i++)
      bt_rows (d + i * T_CHUNK, IN_TILE * T_CHUNK, tmp + i * T_CHUNK,
          IN_TILE * T_CHUNK, n);
    /* rows: V[r'][i'] = sum over i of tmp[r'][i] B[i][i'], stored */
    for (i = 0; i < IN_TILE; i++)
      bt_rows (tmp + i * IN_TILE * T_CHUNK, T_CHUNK,
          v + i * IN_TILE * plane + (gsize) c * ld, plane, n);
  }
}

/* A^T (4x6) applied to 6 rows of n values a[0], a[s], .. into o[0], o[os],
 * .. (vectorized over the n tiles). */
ILGNET_SIMD_CLONES static void
at_rows (const float *restrict a, gsize s, float *restrict o, gsize os, int n)
{
  int t;

  for (t = 0; t < n; t++) {
    float a0 = a[t], a1 = a[s + t], a2 = a[2 * s + t], a3 = a[3 * s + t],
        a4 = a[4 * s + t], a5 = a[5 * s + t];
    float p12 = a1 + a2, m12 = a1 - a2, p34 = a3 + a4, m34 = a3 - a4;
    o[t] = a0 + p12 + p34;
    o[os + t] = m12 + 2 * m34;
    o[2 * os + t] = p12 + 4 * p34;
    o[3 * os + t] = m12 + 8 * m34 + a5;
  }
}

/* One output row from the 4 rows y[i][tx] of its tile row: interleaved
 * (column 4 tx + i) into line, its first n values to d. */
ILGNET_SIMD_CLONES static void
output_row (const float *restrict y, float *restrict line, float *restrict d,
    int tiles, int n)
{
  int tx, i;

  for (tx = 0; tx < tiles; tx++)
    for (i = 0; i < TILE; i++)
      line[tx * TILE + i] = y[i * T_CHUNK + tx];
  memcpy (d, line, n * sizeof (float));
}

/* Pass 3 for the tiles t0 .. t0 + n - 1 (n <= T_CHUNK) of every output
 * channel: A^T m A from m[xi][k][q] (ld a channel), over all n tiles at
 * once, then the bias and the ReLU as each tile row's segment is written,
 * clipped to the output. */
static void
output_tiles (const Job * j, int t0, int n, const float *m, int ld)
{
  const IlgnetNode *node = j->node;
  gsize plane = (gsize) j->wg->k * ld;  /* between xi planes */
  float tmp[TILE * IN_TILE][T_CHUNK], y[TILE * TILE][T_CHUNK];
  float line[TILE * T_CHUNK];
  int k, q, i, r;

  for (k = 0; k < j->wg->k; k++) {
    const float *mk = m + (gsize) k * ld;
    float *dst = j->dst + (gsize) k * j->oh * j->ow;
    float bias = node->b ? node->b[k] : 0.0f;
    /* columns first: tmp[r][i] = sum over rows of A^T[r][.] m[.][i] */
    for (i = 0; i < IN_TILE; i++)
      at_rows (mk + i * plane, IN_TILE * plane, tmp[i], IN_TILE * T_CHUNK,
          n);
    /* then rows: y[r][q] = sum over i of tmp[r][i] A[i][q] */
    for (r = 0; r < TILE; r++)
      at_rows (tmp[r * IN_TILE], T_CHUNK, y[r * TILE], T_CHUNK, n);
    for (q = 0; q < n;) {
      int t = t0 + q, ty = t / j->tw, tx = t % j->tw;
      int len = MIN (n - q, j->tw - tx);
      int rows = MIN (TILE, j->oh - ty * TILE);
      int cols = MIN (TILE * len, j->ow - tx * TILE);
      for (r = 0; r < rows; r++) {
        float *d = dst + (gsize) (ty * TILE + r) * j->ow + tx * TILE;
        output_row (y[r * TILE] + q, line, d, len, cols);
        ilgnet_bias_relu (d, cols, bias, node->fuse_relu, node->relu_slope);
      }
      q += len;
    }
  }
}

/* rows_per_task tile rows, start to end, in their own part of the
 * scratch (so that V and M stay in this core's cache): transform in, 36
 * SGEMMs over all their tiles, transform out. */
static void
tile_rows_task (int task, gpointer data)
{
  const Job *j = data;
  int k = j->wg->k, c = j->wg->c, xi, q;
  int ty0 = task * j->rows_per_task;
  int rows = MIN (j->rows_per_task, j->th - ty0), n = rows * j->tw;
  float *v = j->scratch + (gsize) ty0 * XI * (c + k) * j->tw;
  float *m = v + (gsize) XI * c * n;

  for (q = 0; q < n; q += T_CHUNK)
    input_tiles (j, ty0 * j->tw + q, MIN (T_CHUNK, n - q), v + q, n);
  for (xi = 0; xi < XI; xi++)
    ilgnet_sgemm (FALSE, k, n, c, j->wg->u + (gsize) xi * k * c, c,
        v + (gsize) xi * c * n, n, FALSE, m + (gsize) xi * k * n, n);
  for (q = 0; q < n; q += T_CHUNK)
    output_tiles (j, ty0 * j->tw + q, MIN (T_CHUNK, n - q), m + q, n);
}

void
ilgnet_winograd_forward (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetWinograd * wg, const IlgnetWindow * p, const IlgnetView * in,
    const IlgnetView * out, int n)
{
  Job j;
  int i, nt, tasks;

  j.wg = wg;
  j.node = node;
  j.h = in->shape.h;
  j.w = in->shape.w;
  j.oh = out->shape.h;
  j.ow = out->shape.w;
  j.ph = p->ph;
  j.pw = p->pw;
  j.th = (j.oh + TILE - 1) / TILE;
  j.tw = (j.ow + TILE - 1) / TILE;
  j.scratch = s->scratch;
  /* SGEMMs of at least MIN_N tiles (narrower ones run far below peak), but
   * a task for every thread when there are enough tile rows */
  nt = ilgnet_pool_get_n_threads (s->pool);
  j.rows_per_task = MIN ((MIN_N + j.tw - 1) / j.tw, (j.th + nt - 1) / nt);
  j.rows_per_task = MAX (j.rows_per_task, 1);
  tasks = (j.th + j.rows_per_task - 1) / j.rows_per_task;
  for (i = 0; i < n; i++) {
    j.src = ilgnet_view_image (in, i);
    j.dst = ilgnet_view_image (out, i);
    ilgnet_pool_run (s->pool, tasks, tile_rows_task, &j);
  }
}
