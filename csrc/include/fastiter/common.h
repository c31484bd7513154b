/* Status codes and portability macros shared by every part of the C core. */
#ifndef FASTITER_COMMON_H_
#define FASTITER_COMMON_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FI_VERSION_MAJOR 0
#define FI_VERSION_MINOR 1

/* Every fallible function returns one of these; 0 is success. */
typedef enum fi_status {
    FI_OK = 0,
    FI_EINVAL = -1,   /* an argument is outside its documented domain */
    FI_ERANGE = -2,   /* a value (label, index) is out of range; see the bad_index out-param */
    FI_ENOMEM = -3,   /* an allocation failed */
    FI_ECLOSED = -4,  /* the object was closed while the call waited */
    FI_ETIMEDOUT = -5 /* a deadline passed before the call could complete */
} fi_status;

/* Element types, for the type-generic entry points (the Python and numba faces
 * dispatch through these, so they need not know every C symbol). */
typedef enum fi_dtype {
    FI_BOOL = 0,   /* one byte, 0 or 1 */
    FI_INT8, FI_INT16, FI_INT32, FI_INT64,
    FI_UINT8, FI_UINT16, FI_UINT32, FI_UINT64,
    FI_FLOAT16,    /* IEEE 754 binary16 bits in a uint16_t */
    FI_FLOAT32, FI_FLOAT64,
    FI_NDTYPES
} fi_dtype;

/* Size in bytes of one element of dtype, or 0 for an unknown code. */
size_t fi_dtype_size(int dtype);

/* A human-readable name for a status code; never NULL. */
const char *fi_status_str(int status);

#ifdef __cplusplus
}
#endif
#endif /* FASTITER_COMMON_H_ */
