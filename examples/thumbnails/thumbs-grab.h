/* ilgnet-thumbs: writing chosen frames as full-resolution JPEG files. */
#ifndef ILGNET_THUMBS_GRAB_H
#define ILGNET_THUMBS_GRAB_H

#include <glib.h>
#include <gst/gst.h>

G_BEGIN_DECLS

/* Writes the frames at @pts[0..n-1] of @uri as JPEG to @paths[i]: from
 * @kept[i] when set (the decoded frame, kept from the analysis), else
 * decoded again with an accurate seek.  @kept may be NULL.  @got[i]
 * (optional) receives the stream time of the frame written. */
gboolean ilgnet_thumbs_grab (const char *uri, const GstClockTime * pts,
    GstSample * const *kept, const char *const *paths, int n, int quality,
    GstClockTime * got, GError ** error);

G_END_DECLS

#endif /* ILGNET_THUMBS_GRAB_H */
