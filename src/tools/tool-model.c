/* The model and session options of ilgnet-score and ilgnet-bench. */
#include "tool-model.h"

void
tool_model_options_add (GOptionContext * ctx, ToolModelOptions * o)
{
  GOptionEntry entries[] = {
    {"model", 'm', 0, G_OPTION_ARG_FILENAME, &o->model,
        "Model file (default: the default model, see ILGNET_MODEL)",
        "MODEL"},
    {"batch", 'b', 0, G_OPTION_ARG_INT, &o->batch,
        "Images per run (default 1)", "N"},
    {"threads", 't', 0, G_OPTION_ARG_INT, &o->threads,
        "Threads (default: all cores)", "N"},
    {NULL}
  };

  o->model = NULL;
  o->batch = 1;
  o->threads = 0;
  /* the entries are copied */
  g_option_context_add_main_entries (ctx, entries, NULL);
}

IlgnetModel *
tool_model_options_open (const ToolModelOptions * o, GError ** error)
{
  IlgnetModel *model;
  char *path;

  if (o->batch < 1) {
    g_set_error (error, ILGNET_ERROR, ILGNET_ERROR_ARGUMENT,
        "--batch must be at least 1");
    return NULL;
  }
  path = o->model ? g_strdup (o->model) : ilgnet_default_model_path (error);
  if (!path)
    return NULL;
  model = ilgnet_model_open (path, error);
  g_free (path);
  return model;
}
