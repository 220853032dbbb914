/* Convolution: im2col + SGEMM per image and group; 1x1 stride-1 unpadded
 * convolutions multiply the input directly.  Bias and a following ReLU are
 * applied in one pass over the output. */
#include "ilgnet-session-private.h"

#include <string.h>

typedef struct
{
  const float *src;
  float *cols;
  int c, h, w, oh, ow;
  const IlgnetLayerParams *p;
} Im2col;

/* Rows of the column matrix for input channel task / kh, kernel row
 * task % kh (tasks this small keep both threads busy on 3-channel input). */
static void
im2col_rows (int task, gpointer data)
{
  const Im2col *a = data;
  const IlgnetLayerParams *p = a->p;
  int c = task / p->kh, ki = task % p->kh;
  const float *src = a->src + (gsize) c * a->h * a->w;
  gsize ohw = (gsize) a->oh * a->ow;
  float *dst = a->cols + ((gsize) c * p->kh + ki) * p->kw * ohw;
  int kj, oy, ox;

  {
    for (kj = 0; kj < p->kw; kj++) {
      int xoff = kj * p->dw - p->pw;
      /* ox range whose input column lies inside the image */
      int ox0 = 0, ox1 = a->ow;
      while (ox0 < a->ow && ox0 * p->sw + xoff < 0)
        ox0++;
      while (ox1 > ox0 && (ox1 - 1) * p->sw + xoff >= a->w)
        ox1--;
      for (oy = 0; oy < a->oh; oy++) {
        int iy = oy * p->sh - p->ph + ki * p->dh;
        float *d = dst + (gsize) oy * a->ow;
        if (iy < 0 || iy >= a->h) {
          memset (d, 0, a->ow * sizeof (float));
          continue;
        }
        for (ox = 0; ox < ox0; ox++)
          d[ox] = 0;
        if (p->sw == 1) {
          memcpy (d + ox0, src + (gsize) iy * a->w + ox0 + xoff,
              (ox1 - ox0) * sizeof (float));
        } else {
          const float *s = src + (gsize) iy * a->w + xoff;
          for (ox = ox0; ox < ox1; ox++)
            d[ox] = s[ox * p->sw];
        }
        for (ox = ox1; ox < a->ow; ox++)
          d[ox] = 0;
      }
      dst += ohw;
    }
  }
}

void
ilgnet_layer_conv (IlgnetSession * s, const IlgnetNode * node,
    const IlgnetView * in, const IlgnetView * out, int n)
{
  const IlgnetLayerParams *p = &node->layer->p;
  int g, i;
  int cg = in->shape.c / p->group, og = out->shape.c / p->group;
  int k = cg * p->kh * p->kw;
  gsize ihw = (gsize) in->shape.h * in->shape.w;
  gsize ohw = (gsize) out->shape.h * out->shape.w;
  gboolean direct = p->kh == 1 && p->kw == 1 && p->sh == 1 && p->sw == 1
      && p->ph == 0 && p->pw == 0;

  for (i = 0; i < n; i++) {
    const float *src = ilgnet_view_image (in, i);
    float *dst = ilgnet_view_image (out, i);
    const float *cols = src;
    int ldb = ihw;

    if (!direct) {
      Im2col a = { src, s->scratch, in->shape.c, in->shape.h, in->shape.w,
        out->shape.h, out->shape.w, p
      };
      ilgnet_pool_run (s->pool, in->shape.c * p->kh, im2col_rows, &a);
      cols = s->scratch;
      ldb = ohw;
    }
    for (g = 0; g < p->group; g++) {
      /* direct: group g reads channels g*cg.. of the input; im2col: rows
       * g*k.. of the column matrix */
      const float *b = direct ? cols + (gsize) g * cg * ihw :
          cols + (gsize) g * k * ohw;
      ilgnet_sgemm (FALSE, og, ohw, k, node->w + (gsize) g * og * k, k, b,
          ldb, FALSE, dst + (gsize) g * og * ohw, ohw);
    }
    ilgnet_bias_relu (s, dst, out->shape.c, ohw, ohw, node->b,
        node->fuse_relu, node->relu_slope);
  }
}
