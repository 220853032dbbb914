/* ilgnet-thumbs: writing chosen frames as full-resolution JPEG files. */
#ifndef ILGNET_THUMBS_GRAB_H
#define ILGNET_THUMBS_GRAB_H

#include <glib.h>
#include <gst/gst.h>

G_BEGIN_DECLS

/* Decodes the frames at @pts[0..n-1] of @uri with accurate seeks and
 * writes each as JPEG to @paths[i].  @got[i] (optional) receives the PTS of
 * the frame written. */
gboolean ilgnet_thumbs_grab (const char *uri, const GstClockTime * pts,
    const char *const *paths, int n, int quality, GstClockTime * got,
    GError ** error);

G_END_DECLS

#endif /* ILGNET_THUMBS_GRAB_H */
