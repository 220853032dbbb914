/* ilgnet-thumbs: a one-line progress bar with ETA on stderr. */
#ifndef ILGNET_THUMBS_PROGRESS_H
#define ILGNET_THUMBS_PROGRESS_H

#include <glib.h>
#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum
{
  ILGNET_PROGRESS_AUTO,         /* a bar when stderr is a terminal */
  ILGNET_PROGRESS_ALWAYS,       /* a bar, or plain lines when not a terminal */
  ILGNET_PROGRESS_NEVER
} IlgnetProgressMode;

typedef struct _IlgnetProgress IlgnetProgress;

IlgnetProgress *ilgnet_progress_new (IlgnetProgressMode mode,
    const char *label);
/* Reports that @position of @duration (stream time) is done.  Draws at most
 * a few times a second. */
void ilgnet_progress_update (IlgnetProgress * progress,
    GstClockTime position, GstClockTime duration);
/* Draws the final state and ends the line. */
void ilgnet_progress_finish (IlgnetProgress * progress,
    GstClockTime position);
void ilgnet_progress_free (IlgnetProgress * progress);

/* "1:02:03" or "2:03" for a time in seconds. */
char *ilgnet_progress_format_time (double seconds);

G_END_DECLS

#endif /* ILGNET_THUMBS_PROGRESS_H */
