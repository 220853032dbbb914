/* Persistent worker pool; see threadpool.h. */
#include "threadpool.h"

struct _IlgnetPool
{
  int n_threads;                /* including the caller */
  GThread **workers;
  GMutex lock;
  GCond work_cond, done_cond;
  guint generation;
  gboolean quit;
  IlgnetTaskFunc func;
  gpointer user_data;
  int n_tasks;
  gint next_task;               /* atomic */
  int active;                   /* workers still in the current job */
};

static void
run_tasks (IlgnetPool * pool, IlgnetTaskFunc func, gpointer data, int n)
{
  int t;

  while ((t = g_atomic_int_add (&pool->next_task, 1)) < n)
    func (t, data);
}

static gpointer
worker_main (gpointer data)
{
  IlgnetPool *pool = data;
  guint seen = 0;

  g_mutex_lock (&pool->lock);
  for (;;) {
    IlgnetTaskFunc func;
    gpointer user_data;
    int n;

    while (!pool->quit && pool->generation == seen)
      g_cond_wait (&pool->work_cond, &pool->lock);
    if (pool->quit)
      break;
    seen = pool->generation;
    func = pool->func;
    user_data = pool->user_data;
    n = pool->n_tasks;
    g_mutex_unlock (&pool->lock);

    run_tasks (pool, func, user_data, n);

    g_mutex_lock (&pool->lock);
    if (--pool->active == 0)
      g_cond_signal (&pool->done_cond);
  }
  g_mutex_unlock (&pool->lock);
  return NULL;
}

IlgnetPool *
ilgnet_pool_new (int n_threads)
{
  IlgnetPool *pool = g_new0 (IlgnetPool, 1);
  int i;

  pool->n_threads = MAX (n_threads, 1);
  g_mutex_init (&pool->lock);
  g_cond_init (&pool->work_cond);
  g_cond_init (&pool->done_cond);
  pool->workers = g_new0 (GThread *, pool->n_threads);
  for (i = 1; i < pool->n_threads; i++)
    pool->workers[i] = g_thread_new ("ilgnet-worker", worker_main, pool);
  return pool;
}

void
ilgnet_pool_free (IlgnetPool * pool)
{
  int i;

  if (!pool)
    return;
  g_mutex_lock (&pool->lock);
  pool->quit = TRUE;
  g_cond_broadcast (&pool->work_cond);
  g_mutex_unlock (&pool->lock);
  for (i = 1; i < pool->n_threads; i++)
    g_thread_join (pool->workers[i]);
  g_free (pool->workers);
  g_mutex_clear (&pool->lock);
  g_cond_clear (&pool->work_cond);
  g_cond_clear (&pool->done_cond);
  g_free (pool);
}

int
ilgnet_pool_get_n_threads (const IlgnetPool * pool)
{
  return pool->n_threads;
}

void
ilgnet_pool_run (IlgnetPool * pool, int n_tasks, IlgnetTaskFunc func,
    gpointer user_data)
{
  int t;

  if (n_tasks <= 0)
    return;
  if (pool->n_threads == 1 || n_tasks == 1) {
    for (t = 0; t < n_tasks; t++)
      func (t, user_data);
    return;
  }
  g_mutex_lock (&pool->lock);
  pool->func = func;
  pool->user_data = user_data;
  pool->n_tasks = n_tasks;
  g_atomic_int_set (&pool->next_task, 0);
  pool->active = pool->n_threads - 1;
  pool->generation++;
  g_cond_broadcast (&pool->work_cond);
  g_mutex_unlock (&pool->lock);

  run_tasks (pool, func, user_data, n_tasks);

  g_mutex_lock (&pool->lock);
  while (pool->active > 0)
    g_cond_wait (&pool->done_cond, &pool->lock);
  g_mutex_unlock (&pool->lock);
}
