/* Pooling with Caffe's rules: ceil-rounded output size (computed in
 * model-graph.c); MAX over the window clipped to the input; AVE divides by
 * the window clipped to the padded input (pad cells count as zeros), which
 * is what Caffe and OpenCV do. */
#include "ilgnet-session-private.h"

#include <float.h>

typedef struct
{
  const IlgnetView *in, *out;
  const IlgnetLayerParams *p;
  int planes_per_task, n_planes;
} PoolJob;

static void
pool_plane (const float *src, float *dst, int h, int w, int oh, int ow,
    const IlgnetLayerParams * p)
{
  int py, px, y, x;

  for (py = 0; py < oh; py++) {
    int hs = py * p->sh - p->ph;
    int he = MIN (hs + p->kh, h + p->ph);
    int hs0 = MAX (hs, 0), he0 = MIN (he, h);
    for (px = 0; px < ow; px++) {
      int ws = px * p->sw - p->pw;
      int we = MIN (ws + p->kw, w + p->pw);
      int ws0 = MAX (ws, 0), we0 = MIN (we, w);
      if (p->pool_max) {
        float m = -FLT_MAX;
        for (y = hs0; y < he0; y++)
          for (x = ws0; x < we0; x++)
            m = MAX (m, src[y * w + x]);
        dst[py * ow + px] = m;
      } else {
        float sum = 0;
        int area = (he - hs) * (we - ws);
        for (y = hs0; y < he0; y++)
          for (x = ws0; x < we0; x++)
            sum += src[y * w + x];
        dst[py * ow + px] = sum / area;
      }
    }
  }
}

static void
pool_task (int task, gpointer data)
{
  const PoolJob *j = data;
  int c = j->in->shape.c;
  int first = task * j->planes_per_task;
  int last = MIN (first + j->planes_per_task, j->n_planes);
  int q;

  for (q = first; q < last; q++) {
    int img = q / c, ch = q % c;
    const float *src = ilgnet_view_image (j->in, img) +
        (gsize) ch * j->in->shape.h * j->in->shape.w;
    float *dst = ilgnet_view_image (j->out, img) +
        (gsize) ch * j->out->shape.h * j->out->shape.w;
    pool_plane (src, dst, j->in->shape.h, j->in->shape.w, j->out->shape.h,
        j->out->shape.w, j->p);
  }
}

void
ilgnet_layer_pool (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n)
{
  PoolJob j = { in, out, &node->layer->p, 0, n * in->shape.c };
  int tasks = MIN (j.n_planes, 4 * ilgnet_pool_get_n_threads (s->pool));

  j.planes_per_task = (j.n_planes + tasks - 1) / tasks;
  tasks = (j.n_planes + j.planes_per_task - 1) / j.planes_per_task;
  ilgnet_pool_run (s->pool, tasks, pool_task, &j);
}
