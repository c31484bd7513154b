"""Slow, obviously-correct numpy versions of every kernel, for comparison tests."""

from __future__ import annotations

import numpy as np


def one_hot(labels, num_classes, dtype=np.float32, axis=-1):
    labels = np.asarray(labels)
    eye = np.eye(num_classes, dtype=dtype)
    out = eye[labels.astype(np.int64)]  # class axis last
    return np.moveaxis(out, -1, axis)


def pad_sequences(
    seqs,
    mode="align_start",
    max_length=None,
    truncating="post",
    value=0,
    dtype=None,
    layout="NFT",
    offsets=None,
):
    """Loop version: (batch, mask) with a float64/bool-agnostic 0/1 mask as int8."""
    arrs = [np.asarray(s) for s in seqs]
    rank = arrs[0].ndim if arrs else 1
    feats = arrs[0].shape[1] if rank == 2 else 1
    dtype = (
        np.dtype(dtype)
        if dtype is not None
        else (np.result_type(*arrs) if arrs else np.dtype(np.float32))
    )
    lengths = [len(a) for a in arrs]
    if max_length is not None:
        T = max_length
    elif offsets is not None:
        T = max([o + n for o, n in zip(offsets, lengths)], default=0)
    else:
        T = max(lengths, default=0)
    batch = np.full((len(arrs), T, feats), value, dtype=dtype)
    mask = np.zeros((len(arrs), T), np.int8)
    for i, a in enumerate(arrs):
        a = a.reshape(len(a), feats)
        a = a[:T] if truncating == "post" else a[len(a) - min(len(a), T) :]
        if offsets is not None:
            s = offsets[i]
        elif mode == "align_end":
            s = T - len(a)
        else:
            s = 0
        batch[i, s : s + len(a)] = a
        mask[i, s : s + len(a)] = 1
    if rank == 1:
        batch = batch[:, :, 0]
    elif layout == "NFT":
        batch = batch.transpose(0, 2, 1)
    return batch, mask


def gather(source, indices):
    return (
        np.stack([np.asarray(source)[int(i)] for i in indices])
        if len(indices)
        else np.asarray(source)[:0]
    )


def collate(arrays):
    return np.stack([np.asarray(a) for a in arrays])


# ---- Philox4x32-10, straight from the definition (Salmon et al., SC'11), in Python ints
_M0, _M1, _W0, _W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
_MASK = 0xFFFFFFFF


def philox4x32_10(ctr, key):
    c0, c1, c2, c3 = ctr
    k0, k1 = key
    for _ in range(10):
        p0, p1 = _M0 * c0, _M1 * c2
        c0, c1, c2, c3 = ((p1 >> 32) ^ c1 ^ k0, p1 & _MASK, (p0 >> 32) ^ c3 ^ k1, p0 & _MASK)
        k0, k1 = (k0 + _W0) & _MASK, (k1 + _W1) & _MASK
    return [c0, c1, c2, c3]


def random_bits(seed, stream, first, n):
    """Words [first, first + n): word i is word i % 4 of the block with counter i // 4."""
    out = []
    key = (seed & _MASK, seed >> 32)
    for i in range(first, first + n):
        b = i // 4
        out.append(philox4x32_10((b & _MASK, b >> 32, stream & _MASK, stream >> 32), key)[i % 4])
    return np.array(out, np.uint32)


def random_uniform(seed, stream, first, n, dtype):
    if np.dtype(dtype) == np.float32:
        w = random_bits(seed, stream, first, n).astype(np.uint64)
        return ((w >> 8).astype(np.float64) * 2.0**-24).astype(np.float32)
    w = random_bits(seed, stream, 2 * first, 2 * n).astype(np.uint64)
    u = ((w[1::2] << np.uint64(32)) | w[0::2]) >> np.uint64(11)
    return u.astype(np.float64) * 2.0**-53


def random_normal(seed, stream, first, n, dtype):
    """Box-Muller in float64 with numpy's log/cos/sin (compare with a tolerance)."""
    first_pair, last_pair = first // 2, (first + n + 1) // 2
    if np.dtype(dtype) == np.float32:
        w = random_bits(seed, stream, 2 * first_pair, 2 * (last_pair - first_pair))
        w = w.astype(np.uint64)
        u1 = ((w[0::2] >> 8) + 1).astype(np.float64) * 2.0**-24
        q = (w[1::2] >> 30).astype(np.float64)
        x = (((w[1::2] >> 7) & 0x7FFFFF).astype(np.float64) + 0.5) * (np.pi / 2) / 2**23
    else:
        w = random_bits(seed, stream, 4 * first_pair, 4 * (last_pair - first_pair))
        w = w.astype(np.uint64).reshape(-1, 4)
        u1 = ((((w[:, 1] << np.uint64(32)) | w[:, 0]) >> np.uint64(11)) + 1).astype(
            np.float64
        ) * 2.0**-53
        a = (w[:, 3] << np.uint64(32)) | w[:, 2]
        q = (a >> np.uint64(62)).astype(np.float64)
        x = ((a >> np.uint64(12)) & np.uint64((1 << 50) - 1)).astype(np.float64)
        x = (x + 0.5) * (np.pi / 2) / 2**50
    theta = q * np.pi / 2 + x - np.pi / 4
    r = np.sqrt(-2 * np.log(u1))
    z = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1).reshape(-1)
    off = first - 2 * first_pair
    return z[off : off + n]


def random_integers(seed, stream, first, n, low, high):
    w = random_bits(seed, stream, first, n).astype(object)
    return np.array([low + ((int(x) * (high - low)) >> 32) for x in w], dtype=np.int64)


def random_binary(seed, stream, first, n, p):
    thr = int(p * 4294967296.0 + 0.5)
    return random_bits(seed, stream, first, n).astype(np.uint64) < thr


def align_labels(
    labels,
    lengths,
    mode="align_end",
    max_length=None,
    sequence_mode="align_start",
    offsets=None,
    layout="NFT",
):
    """Loop version: one label per example on its sequence's last/first real step."""
    labels = np.asarray(labels)
    lengths = [int(n) for n in lengths]
    first = list(offsets) if offsets is not None else [0] * len(lengths)
    T = (
        max_length
        if max_length is not None
        else max([f + n for f, n in zip(first, lengths)], default=0)
    )
    if offsets is None and sequence_mode == "align_end":
        first = [T - n for n in lengths]
    lab2 = labels.reshape(len(labels), labels.shape[1] if labels.ndim == 2 else 1)
    batch = np.zeros((len(labels), T, lab2.shape[1]), labels.dtype)
    mask = np.zeros((len(labels), T), np.int8)
    for i, n in enumerate(lengths):
        step = first[i] + n - 1 if mode == "align_end" else first[i]
        batch[i, step] = lab2[i]
        mask[i, step] = 1
    if labels.ndim == 1:
        return batch[:, :, 0], mask
    return (batch.transpose(0, 2, 1) if layout == "NFT" else batch), mask


def gather_scaled(source, indices, scale=1.0, threshold=None, dtype=np.float32):
    """Row by row: pick the uint8 row, binarize if asked, cast, then one multiply."""
    src = np.asarray(source)
    rows = range(src.shape[0]) if indices is None else [int(i) for i in indices]
    dtype = np.dtype(dtype)
    out = np.empty((len(rows),) + src.shape[1:], dtype)
    for k, r in enumerate(rows):
        row = src[r]
        value = (row > threshold).astype(dtype) if threshold is not None else row.astype(dtype)
        out[k] = value * dtype.type(scale)
    return out
