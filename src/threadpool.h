/* A small persistent worker pool for the library's own parallel loops
 * (OpenBLAS has its own threads).  Workers sleep on a condition variable
 * between jobs rather than spinning, so they do not compete with BLAS. */
#ifndef ILGNET_THREADPOOL_H
#define ILGNET_THREADPOOL_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct _IlgnetPool IlgnetPool;
typedef void (*IlgnetTaskFunc) (int task, gpointer user_data);

IlgnetPool *ilgnet_pool_new (int n_threads);
void ilgnet_pool_free (IlgnetPool * pool);
int ilgnet_pool_get_n_threads (const IlgnetPool * pool);
/* Runs func(0..n_tasks-1) on the pool's threads and the caller; returns
 * when all are done. */
void ilgnet_pool_run (IlgnetPool * pool, int n_tasks, IlgnetTaskFunc func,
    gpointer user_data);

G_END_DECLS

#endif
