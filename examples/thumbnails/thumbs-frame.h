/* ilgnet-thumbs: what is measured on each decoded frame.
 *
 * The analysis runs on a small copy of every decoded frame (at most
 * ILGNET_THUMBS_ANALYSIS_WIDTH pixels wide); the model score is only known
 * for the frames the ilgnet element sampled.
 */
#ifndef ILGNET_THUMBS_FRAME_H
#define ILGNET_THUMBS_FRAME_H

#include <glib.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define ILGNET_THUMBS_ANALYSIS_WIDTH 160
/* Gradual transitions change little from one frame to the next, so fades
 * and dissolves are measured against a frame this far apart. */
#define ILGNET_THUMBS_LAG (200 * GST_MSECOND)
/* RGB colour histogram: 4 levels per channel. */
#define ILGNET_THUMBS_HIST_BINS 64
/* Edge density on a GRID x GRID layout of the frame. */
#define ILGNET_THUMBS_GRID 4
#define ILGNET_THUMBS_EDGE_CELLS (ILGNET_THUMBS_GRID * ILGNET_THUMBS_GRID)

typedef struct
{
  GstClockTime pts;     /* buffer timestamp (matches the element's) */
  GstClockTime time;    /* stream time: what players show and seeks use */
  float luma;          /* mean luminance, 0..1 */
  float contrast;      /* standard deviation of luminance, 0..1 */
  float uniformity;    /* share of pixels in the 5 % fullest of 128 grey bins */
  float sharpness;     /* mean Sobel gradient magnitude, 0..1 */
  float blur;          /* perceptual blur (Crete-Roffet 2007): 0 sharp, 1 flat */
  float cut;           /* colour histogram distance to the previous frame, 0..1 */
  float ecr;           /* edge change ratio against the frame ~lag earlier */
  float fade;          /* |log| contrast ratio against the frame ~lag earlier */
  float drift;         /* histogram distance against the frame ~lag earlier */
  float motion;        /* mean |grey difference| to the previous frame, 0..1 */
  float score;         /* model score, < 0 when the frame was not sampled */
  float hist[ILGNET_THUMBS_HIST_BINS];       /* sums to 1 */
  float edges[ILGNET_THUMBS_EDGE_CELLS];     /* edge pixel share per cell */
} IlgnetThumbsFrame;

/* Measures consecutive frames; keeps the little history that ECR, cut and
 * motion need. */
typedef struct _IlgnetThumbsAnalyser IlgnetThumbsAnalyser;

IlgnetThumbsAnalyser *ilgnet_thumbs_analyser_new (void);
void ilgnet_thumbs_analyser_free (IlgnetThumbsAnalyser * analyser);

/* Fills @out from a packed RGB image (3 bytes a pixel) of the frame with
 * presentation time @pts.  Frames must come in presentation order. */
void ilgnet_thumbs_analyser_add (IlgnetThumbsAnalyser * analyser,
    const guint8 * rgb, int width, int height, int stride, GstClockTime pts,
    IlgnetThumbsFrame * out);

G_END_DECLS

#endif /* ILGNET_THUMBS_FRAME_H */
