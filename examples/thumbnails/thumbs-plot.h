/* ilgnet-thumbs: scores.png, the score over time with the picks marked. */
#ifndef ILGNET_THUMBS_PLOT_H
#define ILGNET_THUMBS_PLOT_H

#include "thumbs-picker.h"

G_BEGIN_DECLS

/* Draws the plot into an RGB image and writes it as PNG to @path.
 * Shaded bands show frames the guards rejected (dark grey: dark/uniform,
 * orange: transition, blue: blur); red lines with numbers are the picks. */
gboolean ilgnet_thumbs_plot_write (const char *path,
    const IlgnetThumbsFrame * frames, int n_frames,
    const IlgnetThumbsResult * result, GError ** error);

/* Encodes packed RGB (@width a multiple of 4) as PNG with pngenc. */
gboolean ilgnet_thumbs_write_png (const char *path, const guint8 * rgb,
    int width, int height, GError ** error);

G_END_DECLS

#endif /* ILGNET_THUMBS_PLOT_H */
