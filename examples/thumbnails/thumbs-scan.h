/* ilgnet-thumbs: the analysis pass.  Decodes the whole video once; the
 * ilgnet element scores sampled frames, and a small copy of every frame is
 * measured for the guards, shot detection and clustering.  With fast set,
 * only keyframes reach the decoder: the guards and the picker then work on
 * that sparser stream. */
#ifndef ILGNET_THUMBS_SCAN_H
#define ILGNET_THUMBS_SCAN_H

#include "thumbs-frame.h"
#include "thumbs-progress.h"

G_BEGIN_DECLS

typedef struct
{
  const char *uri;
  const char *name;             /* how errors name the video (the path) */
  const char *model;            /* NULL: the element's default */
  double interval;              /* seconds between scored frames */
  IlgnetProgressMode progress;
  gboolean fast;                /* decode keyframes only */
} IlgnetThumbsScanOptions;

/* A scored frame kept at full size during the pass (a copy of the decoded
 * buffer, its caps and segment), so that writing it as a thumbnail needs
 * no seek.  The best-scoring ones are kept, up to ILGNET_THUMBS_KEEP_BYTES. */
#define ILGNET_THUMBS_KEEP_BYTES (256 * 1024 * 1024)
typedef struct
{
  GstClockTime pts;
  float score;
  GstSample *sample;
} IlgnetThumbsKept;

typedef struct
{
  IlgnetThumbsFrame *frames;    /* in presentation order */
  int n_frames;
  int n_scored;
  char *model_name;
  int width, height;            /* of the decoded video */
  GstClockTime duration;        /* GST_CLOCK_TIME_NONE when unknown */
  double seconds;               /* wall time the pass took */
  IlgnetThumbsKept *kept;       /* in no particular order */
  int n_kept;
} IlgnetThumbsScan;

/* The kept full-size frame with buffer timestamp @pts, or NULL. */
GstSample *ilgnet_thumbs_scan_kept (const IlgnetThumbsScan * scan,
    GstClockTime pts);

/* Runs the pass.  FALSE with @error (one line) when the file cannot be
 * read or decoded, has no video, or the element is missing. */
gboolean ilgnet_thumbs_scan (const IlgnetThumbsScanOptions * options,
    IlgnetThumbsScan * scan, GError ** error);
void ilgnet_thumbs_scan_clear (IlgnetThumbsScan * scan);

G_END_DECLS

#endif /* ILGNET_THUMBS_SCAN_H */
