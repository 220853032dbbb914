/* The loaders read files (by path, mapped): each input is written to one
 * memfd, reused for every run, and named as /proc/self/fd/N. */
#ifndef FUZZ_MEMFILE_H
#define FUZZ_MEMFILE_H

#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *
fuzz_memfile (const unsigned char *data, size_t size)
{
  static int fd = -1;
  static char path[64];
  size_t off = 0;

  if (fd < 0) {
    fd = memfd_create ("ilgnet-fuzz", MFD_CLOEXEC);
    if (fd < 0) {
      perror ("memfd_create");
      abort ();
    }
    snprintf (path, sizeof (path), "/proc/self/fd/%d", fd);
  }
  if (ftruncate (fd, 0) != 0)
    abort ();
  while (off < size) {
    ssize_t n = pwrite (fd, data + off, size - off, off);
    if (n <= 0)
      abort ();
    off += n;
  }
  return path;
}

#endif
