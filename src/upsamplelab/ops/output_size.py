"""Output size of a transposed convolution (Dumoulin & Visin 2016, arXiv:1603.07285, relationship 14).

    O = (I - 1) * S - 2 * P + D * (K - 1) + output_padding + 1

``output_padding`` resolves the ambiguity of a strided forward convolution (several input sizes map to the same
output size); PyTorch requires it to be smaller than the stride or than the dilation.
"""
from __future__ import annotations

from ._args import IntOrPair, check_at_least, pair


def check_conv_transpose_args(
    kernel_size: IntOrPair,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    output_padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> tuple[tuple[int, int], ...]:
    """Validate transposed-convolution hyper-parameters; return them as (h, w) pairs in argument order."""
    k, s, p = pair(kernel_size, "kernel_size"), pair(stride, "stride"), pair(padding, "padding")
    op, d = pair(output_padding, "output_padding"), pair(dilation, "dilation")
    check_at_least(k, 1, "kernel_size")
    check_at_least(s, 1, "stride")
    check_at_least(d, 1, "dilation")
    check_at_least(p, 0, "padding")
    check_at_least(op, 0, "output_padding")
    for axis in range(2):
        if op[axis] >= s[axis] and op[axis] >= d[axis]:
            raise ValueError(
                f"output_padding must be smaller than either stride or dilation (PyTorch's rule), "
                f"got output_padding={op[axis]}, stride={s[axis]}, dilation={d[axis]}"
            )
    return k, s, p, op, d


def conv_transpose_output_size(
    size: IntOrPair,
    kernel_size: IntOrPair,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
    output_padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
) -> int | tuple[int, int]:
    """Spatial output size of ``ConvTranspose2d``; an int for int ``size``, an (h, w) pair for a pair.

    >>> conv_transpose_output_size(14, 4, stride=2, padding=1)
    28
    >>> conv_transpose_output_size(4, 3, 2, 1), conv_transpose_output_size(4, 3, 2, 1, output_padding=1)
    (7, 8)
    """
    i = pair(size, "size")
    check_at_least(i, 1, "size")
    k, s, p, op, d = check_conv_transpose_args(kernel_size, stride, padding, output_padding, dilation)
    out = tuple((i[a] - 1) * s[a] - 2 * p[a] + d[a] * (k[a] - 1) + op[a] + 1 for a in range(2))
    if min(out) < 1:
        raise ValueError(
            f"the output size would be {out if out[0] != out[1] else out[0]} < 1 for size={size}, "
            f"kernel_size={kernel_size}, stride={stride}, padding={padding}, output_padding={output_padding}, "
            f"dilation={dilation}: reduce padding"
        )
    return out[0] if isinstance(size, int) else out
