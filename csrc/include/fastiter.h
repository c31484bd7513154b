/*
 * fastiter.h - the public C API of fastiter, umbrella header.
 *
 * Plain C11, no Python.h, no numpy: any C or C++ program can include it and compile
 * the sources beside it (fastiter.get_include() tells where they are installed).
 */
#ifndef FASTITER_H_
#define FASTITER_H_

#include "fastiter/common.h"
#include "fastiter/kernels.h"
#include "fastiter/convert.h"
#include "fastiter/csv.h"
#include "fastiter/ring.h"
#include "fastiter/blockcache.h"
#include "fastiter/random.h"
#include "fastiter/threads.h"

#endif /* FASTITER_H_ */
