"""The kernel cache is dropped when layout.py or a kernel file changes (numba alone would not)."""

from __future__ import annotations

from fixengine.book import cache_guard


def test_stale_cache_is_dropped_once(tmp_path):
    (tmp_path / "kernels_depth.depth_top-1.py311.nbi").write_text("index")
    (tmp_path / "kernels_orders.apply_ops-2.py311.1.nbc").write_text("code")
    (tmp_path / "other.nbi").write_text("not ours")
    (tmp_path / "book-kernels.sha256").write_text("digest of older sources")
    assert cache_guard.drop_stale_cache(tmp_path) is True
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book-kernels.sha256", "other.nbi"]
    assert (tmp_path / "book-kernels.sha256").read_text() == cache_guard.sources_digest()
    (tmp_path / "kernels_depth.depth_top-1.py311.nbi").write_text("fresh index")
    assert cache_guard.drop_stale_cache(tmp_path) is False  # same sources: the cache is kept
    assert (tmp_path / "kernels_depth.depth_top-1.py311.nbi").exists()
