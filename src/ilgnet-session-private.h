/* Session internals: the execution plan, the activation arena and the
 * interface between the executor (session.c) and the layer kernels. */
#ifndef ILGNET_SESSION_PRIVATE_H
#define ILGNET_SESSION_PRIVATE_H

#include "ilgnet-private.h"
#include "threadpool.h"

G_BEGIN_DECLS

/* A blob as a kernel sees it: image n starts at data + n * bstride.  Concat
 * inputs written in place into the concat's buffer have bstride larger than
 * their own size; blobs that live within one image-major segment have
 * bstride 0 (one image's buffer, reused by each image in turn). */
typedef struct
{
  float *data;
  gsize bstride;
  IlgnetBlobShape shape;
} IlgnetView;

static inline float *
ilgnet_view_image (const IlgnetView * v, int n)
{
  return v->data + (gsize) n * v->bstride;
}

/* A buffer in the arena; blobs live in roots at an offset.  Roots written
 * straight into a concat output become children of the concat's root. */
typedef struct
{
  gsize size;                   /* floats per image */
  int parent;                   /* root index or -1 */
  gsize parent_off;             /* floats into the parent, per image */
  int first, last;              /* layer indices during which it lives */
  int last_write, last_read;
  gsize arena_off;              /* top-level roots: floats into the arena */
  gboolean local;               /* lives within one image-major segment: one
                                 * image's worth, shared by all images */
} IlgnetRoot;

typedef struct
{
  int root;
  gsize off;                    /* floats into the root, per image */
} IlgnetBlobPlace;

/* ilgnet-layer.h: one implementation of a layer type */
typedef struct _IlgnetKernel IlgnetKernel;

typedef struct
{
  const IlgnetLayer *layer;
  const IlgnetKernel *kernel;   /* chosen for the layer at session creation */
  gboolean skip;                /* alias, identity, or fused into the previous */
  gboolean idle;                /* off the path to every blob read after a run */
  gboolean fuse_relu;           /* apply the next layer's ReLU on the output */
  float relu_slope;
  /* f32 parameters: mapped when the file holds f32, else session copies;
   * w is NULL when the kernel reads the weight in its stored dtype */
  const float *w, *b, *w2;
  float *owned[3];
  gpointer kdata;               /* the kernel's prepare(), if it has one */
  double ms;                    /* profile, accumulated */
} IlgnetNode;

struct _IlgnetSession
{
  IlgnetModel *model;
  int batch;
  int threads;
  IlgnetPool *pool;

  IlgnetNode *nodes;            /* one per layer */
  IlgnetRoot *roots;
  int n_roots;
  IlgnetBlobPlace *places;      /* one per blob */
  /* Execution segments: layers [i, seg_end[i]) run image by image when
   * per_image[i], else (InnerProduct) once for all images */
  int *seg_end;
  gboolean *per_image;

  float *arena;
  gsize arena_floats;
  float *scratch;               /* im2col */
  gsize scratch_floats;
  float *blob_copy;             /* get_blob of strided blobs */
  gsize blob_copy_floats;

  gboolean keep_blobs;
  gboolean profiling;

  /* One-pass boxes (score-boxes.c): ROIAveragePooling layers pool box i
   * (normalized x0, y0, x1, y1) for image i when boxes is set; with
   * share_trunk, the layers that do not depend on a box (trunk[k]) run for
   * image 0 only and the boxes all read its maps. */
  float *boxes;
  gboolean share_trunk;
  gboolean *trunk;
  /* The model's framing map (ILGNET_FRAMING_BLOB, framing-term.c), or -1;
   * with one, the session's last box is the whole frame's (the reference
   * every box's score is taken from) and max_boxes is batch - 1, or, when
   * no box runs the heads (box_heads), the whole frame is the one box. */
  int framing_blob;
  /* Whether each box runs the heads (FALSE when a framing map weighs
   * their scores by 0: the session then has one image, the whole frame),
   * and how many boxes ilgnet_score_boxes() takes. */
  gboolean box_heads;
  int max_boxes;
};

/* Layers off the path to the output are idle (not run) unless blobs are
 * kept; this puts the layers @blob depends on back on it (a side output
 * the caller reads, such as a framing map). */
void ilgnet_session_need_blob (IlgnetSession * s, int blob);

/* session-plan.c */
gboolean ilgnet_session_plan (IlgnetSession * s, GError ** error);
IlgnetView ilgnet_session_view (const IlgnetSession * s, int blob);
gboolean ilgnet_session_blob_clobbered (const IlgnetSession * s, int blob);

/* blas.c: the only caller of BLAS.  Row-major C = A * op(B) (+ C). */
gboolean ilgnet_blas_init (GError ** error);
void ilgnet_blas_set_threads (int n);
void ilgnet_sgemm (gboolean trans_b, int m, int n, int k, const float *a,
    int lda, const float *b, int ldb, gboolean accumulate, float *c, int ldc);

/* gemv-stream.c: y[v][o] = sum_k W[o][k] x[v][k] for n_vec vectors, W
 * rows x k in f32, f16 or i8 (times scales[o]), streamed once per group of
 * up to 4 vectors */
void ilgnet_gemv_stream (IlgnetSession * s, IlgnetDtype dtype, const void *w,
    const float *scales, int rows, gsize k, const float *x, gsize x_stride,
    int n_vec, float *y, gsize y_stride);

G_END_DECLS

#endif /* ILGNET_SESSION_PRIVATE_H */
