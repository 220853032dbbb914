/* libilgnet internals shared by the library's files; not installed. */
#ifndef ILGNET_PRIVATE_H
#define ILGNET_PRIVATE_H

#include "ilgnet.h"
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Sets the GError ** named error in scope and returns FALSE. */
#define ILGNET_FAIL(code, ...) G_STMT_START { \
    g_set_error (error, ILGNET_ERROR, code, __VA_ARGS__); \
    return FALSE; \
  } G_STMT_END

typedef enum
{
  ILGNET_DTYPE_F32,
  ILGNET_DTYPE_F16,
  ILGNET_DTYPE_I8
} IlgnetDtype;

#define ILGNET_MAX_DIMS 4
/* magic, version, flags, header length: the bytes before the header */
#define ILGNET_PREAMBLE_SIZE 24

typedef struct _IlgnetTensor IlgnetTensor;
struct _IlgnetTensor
{
  char *name;
  IlgnetDtype dtype;
  int ndim;
  gint64 shape[ILGNET_MAX_DIMS];
  guint64 n_elements;
  guint64 offset;               /* in the data section */
  guint64 nbytes;
  const void *data;             /* inside the mapping */
  const IlgnetTensor *scales;   /* i8 only: f32 [shape[0]] */
  gboolean is_scales;           /* referenced as another tensor's scales */
};

#define ILGNET_MAX_BOTTOMS 16
/* Weight tensors a layer may name: weight, bias (or the slope, mean, scale
 * ...) and a second one (BatchNorm's variance). */
#define ILGNET_LAYER_MAX_TENSORS 3

/* src/ilgnet-layer.h: one per layer type, in its src/layer-*.c */
typedef struct _IlgnetLayerClass IlgnetLayerClass;

/* Shape of a blob for ONE image: C x H x W (H = W = 1 for vectors). */
typedef struct
{
  int c, h, w;
  int ndim;                     /* 2 for N x C vectors, else 4 */
} IlgnetBlobShape;

typedef struct
{
  char *name;
  IlgnetBlobShape shape;
} IlgnetBlobInfo;

typedef struct
{
  char *name;
  const char *type_name;
  const IlgnetLayerClass *klass;
  int n_bottoms;
  int bottoms[ILGNET_MAX_BOTTOMS];      /* blob ids */
  int top;                      /* blob id (one top per layer) */
  gboolean in_place;
  const IlgnetTensor *weight, *bias;    /* or slope/mean/scale ... */
  const IlgnetTensor *blob2;            /* BatchNorm variance */
  gpointer params;              /* the class's own parameters */
} IlgnetLayer;

struct _IlgnetModel
{
  gint refcount;
  char *path;
  guint8 *map;
  gsize map_size;
  const guint8 *data;           /* data section */
  guint64 data_size;

  GHashTable *fields;           /* string fields of the header */
  char *name;
  IlgnetInputSpec input;
  IlgnetResize resize;
  int input_blob;
  int output_blob;
  int high_index;

  IlgnetTensor *tensors;
  int n_tensors;
  guint64 n_params;

  IlgnetLayer *layers;
  int n_layers;
  IlgnetBlobInfo *blobs;
  int n_blobs;
};

/* model-header.c: the JSON header but its layers: fields, data section
 * (@header_len bytes of header precede it), input, tensors, output index;
 * the input and output blob names are returned for the graph. */
gboolean ilgnet_model_parse_header (IlgnetModel * model, JsonObject * root,
    gsize header_len, const char **input_blob, const char **output_blob,
    GError ** error);
const IlgnetTensor *ilgnet_model_find_tensor (const IlgnetModel * model,
    const char *name);

/* model-file.c: ilgnet_model_open() with @edit applied to the JSON header
 * before it is read (a variant of the model: another input size, layers
 * replaced); the weights are the file's, mapped again (shared pages). */
typedef gboolean (*IlgnetHeaderEdit) (JsonObject * root, gpointer data,
    GError ** error);
IlgnetModel *ilgnet_model_open_edited (const char *path, IlgnetHeaderEdit edit,
    gpointer edit_data, GError ** error);

/* model-graph.c: the "layers" array: parameters, blob names, shapes */
gboolean ilgnet_model_build_graph (IlgnetModel * model, JsonArray * layers,
    const char *input_blob, const char *output_blob, GError ** error);
int ilgnet_model_find_blob (const IlgnetModel * model, const char *name);

/* model-json.c: checked access to members of the header's JSON; @what
 * names the object in messages ("layer \"conv1\"", "input", ...). */
gboolean ilgnet_json_get_int (JsonObject * obj, const char *key, gint64 min,
    gint64 max, gint64 * out, gboolean required, const char *what,
    GError ** error);
gboolean ilgnet_json_get_number (JsonObject * obj, const char *key,
    double *out, gboolean required, const char *what, GError ** error);
/* An integer or [v] or [h, w] (Caffe's kernel, stride, pad); @def when
 * absent */
gboolean ilgnet_json_get_pair (JsonObject * obj, const char *key, int min,
    int max, int def, int *h, int *w, const char *what, GError ** error);
/* The member's string; @def when absent, NULL when not a string */
const char *ilgnet_json_get_string (JsonObject * obj, const char *key,
    const char *def);
/* One of @names (NULL-terminated) as its index; @def when absent */
gboolean ilgnet_json_get_choice (JsonObject * obj, const char *key,
    const char *const *names, int def, int *out, const char *what,
    GError ** error);

static inline gsize
ilgnet_blob_shape_size (const IlgnetBlobShape * s)
{
  return (gsize) s->c * s->h * s->w;
}

/* blas.c: loads OpenBLAS once, if not done yet (see there why early);
 * failures are reported by the first session */
void ilgnet_blas_preload (void);

/* half.c: F16C, from CPUID (leaf 1, ECX) with AVX for the OS's YMM state:
 * clang's __builtin_cpu_supports does not know "f16c" (the fuzzing build) */
gboolean ilgnet_cpu_has_f16c (void);

/* preprocess.c: validates an image and an optional region of it */
gboolean ilgnet_image_check (const IlgnetImage * image, const IlgnetRect * roi,
    GError ** error);

/* preprocess-kernels.c: preprocessing's per-pixel kernels, ORC's code when
 * it agrees with C on this machine (checked once), else C */
gboolean ilgnet_preprocess_orc_trusted (void);
void ilgnet_unpack_u8x4_f32 (float *d0, float *d1, float *d2, float *d3,
    const guint32 * s, const float m[4], float sc, int n);
void ilgnet_accumulate_f32 (float *d, const float *s, float w, int n);

/* Elementwise kernels built for several instruction sets, picked at load
 * time (ifunc), so they vectorize with AVX2 / AVX-512 where available while
 * the library still runs on any x86-64. */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__)
#define ILGNET_SIMD_CLONES \
  __attribute__((target_clones ("avx512f", "avx2", "default")))
#else
#define ILGNET_SIMD_CLONES
#endif

/* half.c: fp16 -> f32 */
float ilgnet_half_to_float (guint16 h);
/* half.c: f32 -> fp16 of @n values, round to nearest even.  Uses the F16C
 * instructions when the CPU has them (unless $ILGNET_NO_F16C is set, which
 * tests use to check the portable path); both give identical results. */
void ilgnet_f32_to_f16 (const float *src, guint16 * dst, gsize n);

/* Turns any tensor into a newly allocated f32 array (dequantized). */
float *ilgnet_tensor_to_f32 (const IlgnetTensor * t);

G_END_DECLS

#endif /* ILGNET_PRIVATE_H */
