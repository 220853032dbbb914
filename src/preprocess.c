/* Packed 8-bit pixels -> the planar float input of a net.
 *
 * Per source row, an ORC kernel deinterleaves the pixels into float rows
 * with the mean already subtracted and the scale applied (resampling
 * weights sum to one, so doing this before resampling gives the same
 * values).  Then a separable resampler runs: each output pixel is an
 * area average of the source pixels it covers when shrinking an axis (no
 * aliasing) or a bilinear blend when enlarging it; the vertical pass is the
 * ORC accumulate kernel. */
#include "ilgnet-private.h"

#include <math.h>
#include <string.h>

/* Contributions of source samples to each output sample of one axis. */
typedef struct
{
  int *start;                   /* first source index per output */
  int *count;
  float *weights;               /* max_taps per output */
  int max_taps;
} Axis;

static void
axis_clear (Axis * a)
{
  g_free (a->start);
  g_free (a->count);
  g_free (a->weights);
}

static void
axis_init (Axis * a, int src, int dst)
{
  int i;

  a->start = g_new (int, dst);
  a->count = g_new (int, dst);
  if (src > dst) {
    /* area: output i covers [i*r, (i+1)*r) of the source */
    double r = (double) src / dst;
    a->max_taps = (int) ceil (r) + 1;
    a->weights = g_new0 (float, (gsize) dst * a->max_taps);
    for (i = 0; i < dst; i++) {
      double x0 = i * r, x1 = MIN ((i + 1) * r, src);
      int s0 = (int) floor (x0), s1 = MIN ((int) ceil (x1), src), k;
      float *w = a->weights + (gsize) i * a->max_taps;
      a->start[i] = s0;
      a->count[i] = MIN (s1 - s0, a->max_taps);
      for (k = 0; k < a->count[i]; k++) {
        double lo = MAX (x0, s0 + k), hi = MIN (x1, s0 + k + 1);
        w[k] = (float) (MAX (hi - lo, 0.0) / r);
      }
    }
  } else {
    /* bilinear on pixel centres, edges clamped */
    a->max_taps = 2;
    a->weights = g_new0 (float, (gsize) dst * 2);
    for (i = 0; i < dst; i++) {
      double x = (i + 0.5) * src / dst - 0.5;
      int x0;
      float f;
      if (x < 0)
        x = 0;
      if (x > src - 1)
        x = src - 1;
      x0 = (int) floor (x);
      f = (float) (x - x0);
      a->start[i] = x0;
      if (x0 + 1 < src && f > 0) {
        a->count[i] = 2;
        a->weights[i * 2] = 1.0f - f;
        a->weights[i * 2 + 1] = f;
      } else {
        a->count[i] = 1;
        a->weights[i * 2] = 1.0f;
      }
    }
  }
}

/* Byte position of R, G, B inside a pixel. */
static gboolean
format_layout (IlgnetPixelFormat f, int *bpp, int pos[3])
{
  switch (f) {
    case ILGNET_PIXEL_RGB:
      *bpp = 3, pos[0] = 0, pos[1] = 1, pos[2] = 2;
      return TRUE;
    case ILGNET_PIXEL_BGR:
      *bpp = 3, pos[0] = 2, pos[1] = 1, pos[2] = 0;
      return TRUE;
    case ILGNET_PIXEL_RGBX:
      *bpp = 4, pos[0] = 0, pos[1] = 1, pos[2] = 2;
      return TRUE;
    case ILGNET_PIXEL_BGRX:
      *bpp = 4, pos[0] = 2, pos[1] = 1, pos[2] = 0;
      return TRUE;
    case ILGNET_PIXEL_XRGB:
      *bpp = 4, pos[0] = 1, pos[1] = 2, pos[2] = 3;
      return TRUE;
    case ILGNET_PIXEL_XBGR:
      *bpp = 4, pos[0] = 3, pos[1] = 2, pos[2] = 1;
      return TRUE;
  }
  return FALSE;
}

gboolean
ilgnet_image_check (const IlgnetImage * image, const IlgnetRect * roi,
    GError ** error)
{
  int bpp, pos[3];

  if (!image || !image->data || image->width < 1 || image->height < 1
      || image->width > 1 << 16 || image->height > 1 << 16) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
        "bad image (no data or size out of range)");
    return FALSE;
  }
  if (!format_layout (image->format, &bpp, pos)) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
        "unknown pixel format %d", image->format);
    return FALSE;
  }
  if (image->stride < image->width * bpp) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
        "image stride %d is smaller than a row (%d bytes)", image->stride,
        image->width * bpp);
    return FALSE;
  }
  if (roi && (roi->width < 1 || roi->height < 1 || roi->x < 0 || roi->y < 0
          || roi->x > image->width - roi->width
          || roi->y > image->height - roi->height)) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
        "region %dx%d+%d+%d is not inside the %dx%d image", roi->width,
        roi->height, roi->x, roi->y, image->width, image->height);
    return FALSE;
  }
  return TRUE;
}

/* The part of the image to read (@src) and where it goes in the net's
 * input (@out) for @mode. */
static gboolean
fit_region (IlgnetRect * src, IlgnetRect * out, int W, int H,
    IlgnetResize mode, GError ** error)
{
  *out = (IlgnetRect) {
  0, 0, W, H};
  switch (mode) {
    case ILGNET_RESIZE_SQUASH:
      return TRUE;
    case ILGNET_RESIZE_CENTER:
      /* largest centred part of the region with the net's aspect */
      if ((gint64) src->width * H > (gint64) src->height * W) {
        int cw = MAX (1, (int) ((gint64) src->height * W / H));
        src->x += (src->width - cw) / 2;
        src->width = cw;
      } else {
        int ch = MAX (1, (int) ((gint64) src->width * H / W));
        src->y += (src->height - ch) / 2;
        src->height = ch;
      }
      return TRUE;
    case ILGNET_RESIZE_LETTERBOX:
      if ((gint64) src->width * H > (gint64) src->height * W) {
        out->height = MAX (1, (int) (((gint64) src->height * W +
                    src->width / 2) / src->width));
        out->y = (H - out->height) / 2;
      } else {
        out->width = MAX (1, (int) (((gint64) src->width * H +
                    src->height / 2) / src->height));
        out->x = (W - out->width) / 2;
      }
      return TRUE;
    default:
      g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
          "ilgnet_preprocess takes squash, center or letterbox");
      return FALSE;
  }
}

/* One resampling job: the region, its pixel layout and the axes. */
typedef struct
{
  const IlgnetImage *image;
  IlgnetRect src, out;
  int bpp;
  int plane_of_byte[4];         /* net plane fed by each byte, or -1 */
  float mean_b[4];              /* mean of each byte's plane */
  float scale;
  Axis ax, ay;
  float *rows;                  /* horizontal pass: 3 planes per source row */
} Resample;

/* Source row @y as 32-bit pixels: in place when aligned 4-byte pixels,
 * else widened or copied into @tmp (src.width words). */
static const guint32 *
row_pixels (const Resample * r, int y, guint32 * tmp)
{
  const guint8 *line = r->image->data +
      (gsize) (r->src.y + y) * r->image->stride + (gsize) r->src.x * r->bpp;
  int i;

  if (r->bpp == 3) {
    for (i = 0; i < r->src.width; i++)
      tmp[i] = line[3 * i] | (line[3 * i + 1] << 8) | (line[3 * i + 2] << 16);
    return tmp;
  }
  if (((guintptr) line & 3) == 0)
    return (const guint32 *) line;
  memcpy (tmp, line, (gsize) r->src.width * 4);
  return tmp;
}

/* Every source row of the region: deinterleave, then resample across. */
static void
horizontal_pass (Resample * r)
{
  int sw = r->src.width, ow = r->out.width, y, i, j, k;
  float *conv = g_new (float, (gsize) 4 * sw);
  guint32 *tmp = g_new (guint32, sw);
  float *planes[4];

  for (i = 0; i < 4; i++)
    planes[i] = conv + (gsize) i * sw;
  for (y = 0; y < r->src.height; y++) {
    ilgnet_unpack_u8x4_f32 (planes[0], planes[1], planes[2], planes[3],
        row_pixels (r, y, tmp), r->mean_b, r->scale, sw);
    for (i = 0; i < 4; i++) {
      float *row;
      if (r->plane_of_byte[i] < 0)
        continue;
      row = r->rows + ((gsize) y * 3 + r->plane_of_byte[i]) * ow;
      for (j = 0; j < ow; j++) {
        const float *w = r->ax.weights + (gsize) j * r->ax.max_taps;
        const float *s = planes[i] + r->ax.start[j];
        float acc = 0;
        for (k = 0; k < r->ax.count[j]; k++)
          acc += w[k] * s[k];
        row[j] = acc;
      }
    }
  }
  g_free (conv);
  g_free (tmp);
}

static void
vertical_pass (const Resample * r, float *dst, int W, gsize hw)
{
  int j, c, k;

  for (j = 0; j < r->out.height; j++) {
    const float *w = r->ay.weights + (gsize) j * r->ay.max_taps;
    for (c = 0; c < 3; c++) {
      float *d = dst + c * hw + (gsize) (r->out.y + j) * W + r->out.x;
      memset (d, 0, r->out.width * sizeof (float));
      for (k = 0; k < r->ay.count[j]; k++)
        ilgnet_accumulate_f32 (d, r->rows + ((gsize) (r->ay.start[j] +
                    k) * 3 + c) * r->out.width, w[k], r->out.width);
    }
  }
}

gboolean
ilgnet_preprocess (const IlgnetInputSpec * spec, const IlgnetImage * image,
    const IlgnetRect * roi, IlgnetResize mode, float *dst, GError ** error)
{
  Resample r = { .image = image };
  int W, H, pos[3], c, i;
  gsize hw;

  g_return_val_if_fail (spec != NULL && dst != NULL, FALSE);
  if (!ilgnet_image_check (image, roi, error))
    return FALSE;
  if (spec->channels != 3) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_UNSUPPORTED,
        "the net takes %d channels; images give 3", spec->channels);
    return FALSE;
  }
  W = spec->width;
  H = spec->height;
  hw = (gsize) W * H;
  r.src = roi ? *roi : (IlgnetRect) {
  0, 0, image->width, image->height};
  if (!fit_region (&r.src, &r.out, W, H, mode, error))
    return FALSE;

  r.bpp = 4;
  format_layout (image->format, &r.bpp, pos);
  for (i = 0; i < 4; i++)
    r.plane_of_byte[i] = -1;
  for (c = 0; c < 3; c++) {
    int plane = spec->bgr ? 2 - c : c;  /* c: 0 R, 1 G, 2 B */
    r.plane_of_byte[pos[c]] = plane;
    r.mean_b[pos[c]] = spec->mean[plane];
  }
  r.scale = spec->scale;

  /* letterbox bars hold the mean, i.e. zero after subtraction */
  if (r.out.width != W || r.out.height != H)
    memset (dst, 0, 3 * hw * sizeof (float));

  axis_init (&r.ax, r.src.width, r.out.width);
  axis_init (&r.ay, r.src.height, r.out.height);
  r.rows = g_new (float, (gsize) r.src.height * 3 * r.out.width);
  horizontal_pass (&r);
  vertical_pass (&r, dst, W, hw);
  g_free (r.rows);
  axis_clear (&r.ax);
  axis_clear (&r.ay);
  return TRUE;
}
