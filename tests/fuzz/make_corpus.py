#!/usr/bin/python3
"""make_corpus.py — writes the fuzz seed corpus tests/fuzz/corpus/npy/.

Valid files come from NumPy itself (v1/v2/v3, each accepted dtype), the
malformed ones are hand-made bytes. Names say the expected outcome ("ok_" is
accepted, "bad_" rejected), which regression_driver.c checks. Crashers the
fuzzer finds are added by hand as "bad_crash_*"/"ok_crash_*" and are not
regenerated here. Run from anywhere: python3 tests/fuzz/make_corpus.py
"""
import io
import os
import struct

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "npy")
MAGIC = b"\x93NUMPY"


def save(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def numpy_bytes(a, version):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, a, version=version)
    return buf.getvalue()


def raw_npy(header, version=(1, 0), align=64, data=b"", length=None):
    """An .npy file from a header dict text, padded so the data starts at `align`."""
    prefix = 10 if version[0] == 1 else 12
    text = header.encode("latin1")
    total = prefix + len(text) + 1
    pad = (-total) % align if align else 0
    text += b" " * pad + b"\n"
    n = len(text) if length is None else length
    field = struct.pack("<H", n) if version[0] == 1 else struct.pack("<I", n)
    return MAGIC + bytes(version) + field + text + data


def hdr(descr="'<f4'", fortran="False", shape="(2, 3)"):
    return "{'descr': %s, 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)


def valid():
    rng = np.random.default_rng(7)
    base = (rng.standard_normal((3, 4)) * 10).astype(np.float64)
    for dtype, tag in (("<f4", "f4le"), (">f4", "f4be"), ("<f2", "f2le"), ("<f8", "f8le")):
        for version in ((1, 0), (2, 0), (3, 0)):
            save("ok_v%d_%s.npy" % (version[0], tag), numpy_bytes(base.astype(dtype), version))
    f4 = np.arange(6, dtype="<f4").tobytes()
    save("ok_keys_reordered.npy", raw_npy("{'shape': (2, 3), 'descr': '<f4', 'fortran_order': False}", data=f4))
    save("ok_double_quotes.npy", raw_npy('{"descr": "<f4", "fortran_order": False, "shape": (2, 3)}', data=f4))
    save("ok_pad16.npy", raw_npy(hdr(), align=16, data=f4))
    save("ok_unpadded.npy", raw_npy(hdr(), align=0, data=f4))
    save("ok_whitespace.npy", raw_npy("{ 'descr' :\t'<f4' ,\n 'fortran_order':False,'shape':( 2 ,3 , ) }", data=f4))
    save("ok_zero_rows.npy", raw_npy(hdr(shape="(0, 768)")))
    save("ok_many_rows.npy", numpy_bytes(np.arange(40 * 5, dtype="<f2").reshape(40, 5), (1, 0)))
    half_edges = np.array([[0, 2**-24, 2**-14, 65504, -0.0, -(2**-24)]], dtype="<f2")
    save("ok_f2_edges.npy", numpy_bytes(half_edges, (1, 0)))
    f8_edges = np.array([[3.4028235e38, -3.4028235e38, 1e-46, 5e-324]], dtype="<f8")
    save("ok_f8_edges.npy", numpy_bytes(f8_edges, (1, 0)))


def malformed():
    f4 = np.arange(6, dtype="<f4").tobytes()
    ok = raw_npy(hdr(), data=f4)
    save("bad_empty.npy", b"")
    save("bad_magic.npy", b"\x93NUMPX" + ok[6:])
    save("bad_magic_short.npy", b"\x93NU")
    save("bad_version_4.npy", raw_npy(hdr(), version=(4, 0), data=f4))
    save("bad_version_1_1.npy", raw_npy(hdr(), version=(1, 1), data=f4))
    save("bad_header_over_cap.npy", raw_npy(hdr(), version=(2, 0), length=65537, data=f4))
    save("bad_header_len_max32.npy", raw_npy(hdr(), version=(2, 0), length=0xFFFFFFFF, data=f4))
    save("bad_truncated_header.npy", ok[:50])
    save("bad_truncated_preamble.npy", ok[:9])
    save("bad_missing_key.npy", raw_npy("{'descr': '<f4', 'shape': (2, 3)}", data=f4))
    save("bad_duplicate_key.npy", raw_npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", data=f4))
    save("bad_unknown_key.npy", raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", data=f4))
    save("bad_fortran_true.npy", raw_npy(hdr(fortran="True"), data=f4))
    save("bad_1d.npy", raw_npy(hdr(shape="(6,)"), data=f4))
    save("bad_3d.npy", raw_npy(hdr(shape="(1, 2, 3)"), data=f4))
    save("bad_0d.npy", raw_npy(hdr(shape="()"), data=f4[:4]))
    save("bad_not_tuple.npy", raw_npy(hdr(shape="(6)"), data=f4))
    save("bad_list_shape.npy", raw_npy(hdr(shape="[2, 3]"), data=f4))
    save("bad_negative_shape.npy", raw_npy(hdr(shape="(-2, 3)"), data=f4))
    save("bad_nonnumeric_shape.npy", raw_npy(hdr(shape="(a, 3)"), data=f4))
    save("bad_leading_zero.npy", raw_npy(hdr(shape="(02, 3)"), data=f4))
    save("bad_shape_over_2p53.npy", raw_npy(hdr(shape="(9007199254740993, 1)")))
    save("bad_shape_overflow.npy", raw_npy(hdr(shape="(9007199254740992, 9007199254740992)")))
    save("bad_shape_huge_digits.npy", raw_npy(hdr(shape="(99999999999999999999999999, 1)")))
    for descr, tag in (("'<i4'", "i4"), ("'<c8'", "c8"), ("'|u1'", "u1"), ("'|O'", "O"), ("'O'", "O_bare"),
                       ("'|f4'", "f4_pipe"), ("'=f4'", "f4_native"), ("'<f16'", "f16"),
                       ("[('a', '<f4')]", "structured"), ("'<f4<f4<f4<f4<f4<f4<f4<f4<f4'", "long")):
        save("bad_dtype_%s.npy" % tag, raw_npy(hdr(descr=descr), data=f4))
    save("bad_truncated_data.npy", ok[:-1])
    save("bad_trailing_bytes.npy", ok + b"\0")
    save("bad_zero_cols.npy", raw_npy(hdr(shape="(5, 0)")))
    save("bad_no_newline.npy", raw_npy(hdr(), data=f4)[:-len(f4) - 1] + b" " + f4)
    save("bad_non_ascii.npy", raw_npy(hdr(descr="'<f4'").replace("'descr'", "'d\u00e9scr'"), data=f4))
    save("bad_junk_after_dict.npy", raw_npy(hdr() + " x", data=f4))
    save("bad_escape_in_string.npy", raw_npy(hdr(descr="'<f\\x34'"), data=f4))
    nan = np.zeros((5, 3), dtype="<f4")
    nan[3, 1] = np.nan
    save("bad_nan_row3.npy", numpy_bytes(nan, (1, 0)))
    inf = np.zeros((4, 2), dtype="<f2")
    inf[2, 0] = np.inf
    save("bad_inf_f2.npy", numpy_bytes(inf, (1, 0)))
    save("bad_f8_overflow.npy", numpy_bytes(np.array([[1.0, 1e39]], dtype="<f8"), (1, 0)))
    save("bad_inf_f4be.npy", numpy_bytes(np.array([[1.0], [-np.inf]], dtype=">f4"), (2, 0)))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    valid()
    malformed()
