/* ilgnet-thumbs: choosing K thumbnails from analysed and scored frames.
 *
 * A beauty score alone is a poor sort key (Song et al., CIKM 2016), so the
 * picker filters first, splits the video into shots, prefers still frames
 * and takes one frame per shot (clustering shots when there are more than
 * K); the model score only ranks frames inside those groups.
 */
#ifndef ILGNET_THUMBS_PICKER_H
#define ILGNET_THUMBS_PICKER_H

#include "thumbs-frame.h"

G_BEGIN_DECLS

/* Why a frame may not become a thumbnail (bit set). */
typedef enum
{
  ILGNET_THUMBS_DARK = 1 << 0,
  ILGNET_THUMBS_UNIFORM = 1 << 1,
  ILGNET_THUMBS_TRANSITION = 1 << 2,
  ILGNET_THUMBS_BLUR = 1 << 3,
  ILGNET_THUMBS_ENDS = 1 << 4,     /* first or last moments (intro/outro) */
} IlgnetThumbsFlaw;

typedef struct
{
  int frame;                    /* index into the frames */
  int shot;                     /* index into the shots */
  float score;
  gboolean same_shot;           /* a second pick from a shot: the video has
                                   fewer usable shots than K */
} IlgnetThumbsPick;

typedef struct
{
  int n_frames;
  /* Per frame, three views of the guards:
   * hard: flaws by absolute thresholds (what the plot shades);
   * reject: what is rejected — a guard whose absolute threshold would
   *   reject most of the video (a night scene, a soft film) rejects only
   *   the worst share instead, so it adapts while the others stay strict;
   * soft: every guard capped (the fallback when too few frames remain). */
  guint8 *hard;
  guint8 *reject;
  guint8 *soft;
  int *shot;                    /* shot index of each frame, -1 for none */
  int n_shots;
  gboolean relaxed;             /* picks needed the soft guards */
  int n_picks;
  IlgnetThumbsPick *picks;      /* best score first */
} IlgnetThumbsResult;

/* Chooses up to @k thumbnails among the frames that carry a score.  Frames
 * are in presentation order.  Returns fewer than @k picks only when fewer
 * usable scored frames exist. */
IlgnetThumbsResult *ilgnet_thumbs_pick (const IlgnetThumbsFrame * frames,
    int n_frames, int k);
/* The same on keyframes only (a sparse stream): shorter shots count. */
IlgnetThumbsResult *ilgnet_thumbs_pick_keyframes (const IlgnetThumbsFrame *
    frames, int n_frames, int k);
void ilgnet_thumbs_result_free (IlgnetThumbsResult * result);

/* A short word for the worst flaw in @flaws ("dark", "blur", ...), or "ok". */
const char *ilgnet_thumbs_flaw_name (guint8 flaws);

G_END_DECLS

#endif /* ILGNET_THUMBS_PICKER_H */
