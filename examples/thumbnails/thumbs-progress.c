/* ilgnet-thumbs: progress bar.  The ETA comes from the processing speed
 * measured so far (stream seconds per wall second), which also tells the
 * user how much faster than real time the analysis runs. */
#include "thumbs-progress.h"

#include <stdio.h>
#include <unistd.h>

#define BAR_WIDTH 30
#define TTY_PERIOD (G_USEC_PER_SEC / 5)
/* Without a terminal, a line every few seconds is enough for logs. */
#define LOG_PERIOD (2 * G_USEC_PER_SEC)

struct _IlgnetProgress
{
  gboolean enabled;
  gboolean tty;
  char *label;
  gint64 start;
  gint64 last_draw;
  GstClockTime duration;
  gboolean drawn;
};

IlgnetProgress *
ilgnet_progress_new (IlgnetProgressMode mode, const char *label)
{
  IlgnetProgress *p = g_new0 (IlgnetProgress, 1);
  p->tty = isatty (STDERR_FILENO);
  p->enabled = mode == ILGNET_PROGRESS_ALWAYS
      || (mode == ILGNET_PROGRESS_AUTO && p->tty);
  p->label = g_strdup (label);
  p->start = g_get_monotonic_time ();
  p->duration = GST_CLOCK_TIME_NONE;
  return p;
}

char *
ilgnet_progress_format_time (double seconds)
{
  long s = seconds < 0 ? 0 : (long) seconds;
  if (s >= 3600)
    return g_strdup_printf ("%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  return g_strdup_printf ("%ld:%02ld", s / 60, s % 60);
}

static void
draw (IlgnetProgress * p, GstClockTime pos, gboolean final)
{
  double elapsed = (g_get_monotonic_time () - p->start) / 1e6;
  double done = pos / 1e9;
  double speed = elapsed > 0 ? done / elapsed : 0;
  GString *line = g_string_new (NULL);
  char *pos_s = ilgnet_progress_format_time (done);

  g_string_append_printf (line, "%s ", p->label);
  if (GST_CLOCK_TIME_IS_VALID (p->duration) && p->duration > 0) {
    double frac = CLAMP ((double) pos / p->duration, 0.0, 1.0);
    int fill = (int) (frac * BAR_WIDTH + 0.5);
    char *dur_s = ilgnet_progress_format_time (p->duration / 1e9);
    g_string_append_c (line, '[');
    for (int i = 0; i < BAR_WIDTH; i++)
      g_string_append (line, i < fill ? "#" : "-");
    g_string_append_printf (line, "] %3d%% %s/%s", (int) (frac * 100 + 0.5),
        pos_s, dur_s);
    g_free (dur_s);
    if (final) {
      char *el = ilgnet_progress_format_time (elapsed);
      g_string_append_printf (line, " done in %s", el);
      g_free (el);
    } else if (speed > 0) {
      char *eta = ilgnet_progress_format_time ((p->duration / 1e9 - done) /
          speed);
      g_string_append_printf (line, " ETA %s", eta);
      g_free (eta);
    } else {
      g_string_append (line, " ETA --:--");
    }
  } else {
    g_string_append_printf (line, "%s (length unknown)", pos_s);
  }
  if (speed > 0)
    g_string_append_printf (line, " %.1fx", speed);

  if (p->tty)
    fprintf (stderr, "\r%s\033[K%s", line->str, final ? "\n" : "");
  else
    fprintf (stderr, "%s\n", line->str);
  fflush (stderr);
  p->drawn = TRUE;
  g_string_free (line, TRUE);
  g_free (pos_s);
}

void
ilgnet_progress_update (IlgnetProgress * p, GstClockTime pos,
    GstClockTime duration)
{
  gint64 now = g_get_monotonic_time ();
  if (!p->enabled || !GST_CLOCK_TIME_IS_VALID (pos))
    return;
  if (GST_CLOCK_TIME_IS_VALID (duration))
    p->duration = duration;
  if (p->drawn && now - p->last_draw < (p->tty ? TTY_PERIOD : LOG_PERIOD))
    return;
  p->last_draw = now;
  draw (p, pos, FALSE);
}

void
ilgnet_progress_finish (IlgnetProgress * p, GstClockTime pos)
{
  if (!p->enabled)
    return;
  if (GST_CLOCK_TIME_IS_VALID (p->duration) && p->duration > 0)
    pos = p->duration;
  draw (p, GST_CLOCK_TIME_IS_VALID (pos) ? pos : 0, TRUE);
}

void
ilgnet_progress_free (IlgnetProgress * p)
{
  if (!p)
    return;
  g_free (p->label);
  g_free (p);
}
