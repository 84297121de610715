//! The global allocator: the system's, with blocks of 2 MiB or more
//! aligned to huge pages and Linux asked to back them with transparent
//! huge pages.
//!
//! Why: the rules' lazy DFAs keep their transition tables in blocks of
//! several MiB that every line walks at random, a few bytes deep; on 4 KiB
//! pages most of those steps also miss the TLB, and every new page of a
//! growing table is a page fault. Linux gives huge pages only to memory
//! that asks (`madvise` mode, the default on many distributions) or to all
//! (`always`), and only to whole, aligned 2 MiB ranges that were not
//! touched before the advice. So large blocks are aligned, advised before
//! their first byte is written, and grown by a fresh block and a copy
//! (not by `realloc`, which copies before any advice could be given).
//! Smaller blocks are the system's as they were. Linux only: elsewhere the
//! command keeps the system's allocator, and nothing would pay for the
//! alignment and the copies.

use std::alloc::{GlobalAlloc, Layout, System};

/// [`System`], with huge pages for large blocks.
pub struct HugePages;

/// The huge page size on x86-64 (and most ARM64) Linux.
const HUGE_PAGE: usize = 2 << 20;

/// The layout a block is allocated with: large ones aligned to a huge page.
fn actual(layout: Layout) -> Layout {
    if layout.size() >= HUGE_PAGE && layout.align() < HUGE_PAGE {
        // A power of two no smaller than the size's alignment: valid.
        Layout::from_size_align(layout.size(), HUGE_PAGE).unwrap_or(layout)
    } else {
        layout
    }
}

// SAFETY: blocks are `System`'s, allocated and freed with the same
// (`actual`) layout; large ones are at least as aligned as asked.
unsafe impl GlobalAlloc for HugePages {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let layout = actual(layout);
        // SAFETY: the caller's contract is `System`'s.
        let block = unsafe { System.alloc(layout) };
        advise(block, layout);
        block
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() < HUGE_PAGE {
            // SAFETY: as above.
            return unsafe { System.alloc_zeroed(layout) };
        }
        // SAFETY: as above; the block holds `layout.size()` bytes, zeroed
        // after the advice so that the first touch gets huge pages.
        unsafe {
            let block = self.alloc(layout);
            if !block.is_null() {
                block.write_bytes(0, layout.size());
            }
            block
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        // SAFETY: allocated with `actual(layout)`.
        unsafe { System.dealloc(block, actual(layout)) }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.size() < HUGE_PAGE && new_size < HUGE_PAGE {
            // SAFETY: small blocks are `System`'s own.
            return unsafe { System.realloc(block, layout, new_size) };
        }
        // SAFETY: `new_size` is a valid size for `layout.align()` (the
        // caller's contract); the new block is advised before the copy.
        unsafe {
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            let new_block = self.alloc(new_layout);
            if !new_block.is_null() {
                std::ptr::copy_nonoverlapping(block, new_block, layout.size().min(new_size));
                self.dealloc(block, layout);
            }
            new_block
        }
    }
}

/// Asks for huge pages on a fresh large block (aligned by [`actual`]).
fn advise(block: *mut u8, layout: Layout) {
    if layout.size() >= HUGE_PAGE && !block.is_null() {
        let whole = layout.size() / HUGE_PAGE * HUGE_PAGE;
        // SAFETY: the range is the block's own; the advice changes no
        // contents, and a refusal (no THP, an old kernel) changes nothing.
        unsafe {
            libc::madvise(block.cast(), whole, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_blocks_are_aligned_and_keep_their_bytes_when_resized() {
        let fill = |block: *mut u8, len: usize| {
            for i in (0..len).step_by(4093) {
                // SAFETY: `i < len`, inside the block.
                unsafe { block.add(i).write(i as u8) };
            }
        };
        let check = |block: *const u8, len: usize| {
            for i in (0..len).step_by(4093) {
                // SAFETY: as above.
                assert_eq!(unsafe { block.add(i).read() }, i as u8, "byte {i}");
            }
        };
        let a = HugePages;
        let layout = Layout::from_size_align(5 << 20, 8).unwrap();
        // SAFETY: a valid layout; every block is freed with its layout.
        unsafe {
            let block = a.alloc(layout);
            assert_eq!(block as usize % HUGE_PAGE, 0);
            fill(block, layout.size());
            // Grown, shrunk below the large size, grown again.
            let grown = a.realloc(block, layout, 9 << 20);
            check(grown, layout.size());
            let small = a.realloc(grown, Layout::from_size_align(9 << 20, 8).unwrap(), 4096);
            check(small, 4096);
            let again = a.realloc(small, Layout::from_size_align(4096, 8).unwrap(), 3 << 20);
            check(again, 4096);
            a.dealloc(again, Layout::from_size_align(3 << 20, 8).unwrap());

            let zeroed = a.alloc_zeroed(layout);
            assert!(
                (0..layout.size())
                    .step_by(4093)
                    .all(|i| zeroed.add(i).read() == 0)
            );
            a.dealloc(zeroed, layout);

            // Small blocks are the system's, as asked.
            let small = Layout::from_size_align(100, 16).unwrap();
            let block = a.alloc(small);
            assert_eq!(block as usize % 16, 0);
            a.dealloc(block, small);
        }
    }
}
