"""SpilledRows: an import's vectors in a file, read back like an array, outside the process's RSS."""

from __future__ import annotations

import tempfile

import numpy as np
import pytest

from indexing.vectors.batch_knn import batch_neighbours
from indexing.vectors.spill import SpilledRows


def rss_mib() -> float:
    with open("/proc/self/status") as fh:
        line = next(line for line in fh if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def test_reads_and_writes_like_the_array_it_stands_for() -> None:
    rng = np.random.default_rng(3)
    ref = rng.standard_normal((1000, 16)).astype(np.float32)
    rows = SpilledRows(1000, 16)
    rows[0:600] = ref[:600]
    rows.write(600, ref[600:])
    assert len(rows) == 1000 and rows.shape == (1000, 16)
    np.testing.assert_array_equal(rows[:], ref)
    np.testing.assert_array_equal(rows[17], ref[17])
    np.testing.assert_array_equal(rows[-1], ref[-1])
    np.testing.assert_array_equal(rows[250:260], ref[250:260])
    np.testing.assert_array_equal(rows[10:2], ref[10:2])
    np.testing.assert_array_equal(rows[0:100:7], ref[0:100:7])
    picks = [999, 3, 4, 5, 3, 100, 0, 998]  # runs, repeats and any order
    np.testing.assert_array_equal(rows[picks], ref[picks])
    np.testing.assert_array_equal(rows[np.array([], dtype=np.int64)], ref[[]])
    head = rows.head(300)
    assert head.shape == (300, 16)
    np.testing.assert_array_equal(head[299], ref[299])
    block = rows[5:8]
    block[:] = 0  # a read is a copy: the stored rows stay
    np.testing.assert_array_equal(rows[5:8], ref[5:8])
    with pytest.raises(IndexError):
        rows[[1000]]
    with pytest.raises(IndexError):
        head.read(0, 301)
    with pytest.raises(ValueError):
        rows[0:3] = ref[:2]
    head.close()  # a view: the rows stay readable
    np.testing.assert_array_equal(rows[999], ref[999])
    rows.close()
    with pytest.raises(ValueError):
        rows.read(0, 1)


def test_neighbours_of_spilled_rows_equal_those_of_the_array() -> None:
    rng = np.random.default_rng(5)
    ref = rng.standard_normal((9000, 24)).astype(np.float32)
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    rows = SpilledRows(9100, 24)  # the stage reserves one row per validated row, fills the changed
    rows[0:9000] = ref
    np.testing.assert_array_equal(batch_neighbours(rows.head(9000), 5), batch_neighbours(ref, 5))  # the IVF path
    np.testing.assert_array_equal(batch_neighbours(rows.head(500), 5), batch_neighbours(ref[:500], 5))  # exact


def test_rows_written_and_read_do_not_stay_in_the_resident_set() -> None:
    """The reason for the class: a memory map of the same rows grows RSS by their size."""
    n, dim = 32_768, 512  # 64 MiB of float32
    block = np.random.default_rng(0).standard_normal((4096, dim)).astype(np.float32)

    with tempfile.TemporaryFile() as fh:
        before = rss_mib()
        mapped = np.memmap(fh, dtype=np.float32, mode="w+", shape=(n, dim))
        for start in range(0, n, 4096):
            mapped[start : start + 4096] = block
        checksum = sum(float(mapped[start : start + 4096].sum()) for start in range(0, n, 4096))
        mapped_growth = rss_mib() - before
        del mapped

    rows = SpilledRows(n, dim)
    before = rss_mib()
    for start in range(0, n, 4096):
        rows[start : start + 4096] = block
    spilled_checksum = sum(float(rows[start : start + 4096].sum()) for start in range(0, n, 4096))
    spilled_growth = rss_mib() - before
    rows.close()

    assert spilled_checksum == pytest.approx(checksum)
    assert mapped_growth > 48, f"the memory map's pages were expected in RSS ({mapped_growth:.0f} MiB)"
    assert spilled_growth < 24, f"spilled rows stayed resident: +{spilled_growth:.0f} MiB"
