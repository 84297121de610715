//! The global allocator: the system's, with blocks of 2 MiB or more
//! mapped by hand, aligned to huge pages, and Linux asked to back them
//! with transparent huge pages.
//!
//! Why: the rules' lazy DFAs keep their transition tables in blocks of
//! several MiB that every line walks at random, a few bytes deep; on 4 KiB
//! pages most of those steps also miss the TLB, and every new page of a
//! growing table is a page fault. Linux gives huge pages only to memory
//! that asks (`madvise` mode, the default on many distributions) or to all
//! (`always`), and only to whole, aligned 2 MiB ranges that were not
//! touched before the advice. So large blocks are mapped aligned and
//! advised before their first byte is written.
//!
//! They grow (a lazy DFA's cache doubles to 12-16 MiB) with `mremap`:
//! in place when the addresses after the block are free, else by moving
//! the block's page tables to a fresh aligned range. Neither copies a
//! byte nor holds old and new block at once, which a fresh block and a
//! copy did (+8 MiB peak RSS). Smaller blocks are the system's as they
//! were. `KZCLEAN_HUGE_PAGES=0` (or `off`) makes every block the
//! system's. Linux only: elsewhere the command keeps the system's
//! allocator, and nothing would pay for the alignment.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::{CStr, c_void};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

/// [`System`], with huge pages for large blocks unless turned off.
pub struct HugePages;

/// The huge page size on x86-64 (and most ARM64) Linux.
const HUGE_PAGE: usize = 2 << 20;

/// The environment variable that turns huge pages off.
const OPT_OUT_VARIABLE: &CStr = c"KZCLEAN_HUGE_PAGES";

/// Whether a value of [`OPT_OUT_VARIABLE`] (`None`: unset) leaves huge
/// pages on: only `0` and `off` turn them off.
fn huge_pages_wanted(value: Option<&[u8]>) -> bool {
    !matches!(value, Some(value) if value == b"0" || value.eq_ignore_ascii_case(b"off"))
}

/// [`huge_pages_wanted`] for the process, read once: 0 unread, 1 on, 2 off.
static HUGE_PAGES_STATE: AtomicU8 = AtomicU8::new(0);

/// Whether large blocks get huge pages in this process. Reads the
/// environment without allocating (the allocator must not recurse); the
/// first answer stored is the one every later call returns, so the
/// owner of a block never changes.
fn huge_pages_on() -> bool {
    let state = match HUGE_PAGES_STATE.load(Ordering::Relaxed) {
        0 => {
            // SAFETY: the name is a valid C string; the command never sets
            // variables, so no other thread writes the environment, and the
            // value is read before `getenv` could be called again.
            let value = unsafe {
                let value = libc::getenv(OPT_OUT_VARIABLE.as_ptr());
                (!value.is_null()).then(|| CStr::from_ptr(value).to_bytes())
            };
            let state = if huge_pages_wanted(value) { 1 } else { 2 };
            match HUGE_PAGES_STATE.compare_exchange(0, state, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => state,
                Err(first) => first,
            }
        }
        state => state,
    };
    state == 1
}

// SAFETY: every block is allocated, resized and freed by the same
// `Blocks`, since the process's choice never changes (`huge_pages_on`).
unsafe impl GlobalAlloc for HugePages {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        unsafe { Blocks::for_process().alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as above.
        unsafe { Blocks::for_process().alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { Blocks::for_process().dealloc(block, layout) }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as above.
        unsafe { Blocks::for_process().realloc(block, layout, new_size) }
    }
}

/// The allocator proper, with huge pages on or off; a value so that the
/// tests can run both without the process's environment.
struct Blocks {
    huge_pages: bool,
}

impl Blocks {
    /// The process's choice (for every block: a small one may grow large).
    fn for_process() -> Self {
        Blocks {
            huge_pages: huge_pages_on(),
        }
    }

    /// Whether a block of `layout` is mapped by hand: decided by the layout
    /// alone, so every call about a block agrees on its owner.
    fn mapped(&self, layout: Layout) -> bool {
        self.huge_pages && layout.size() >= HUGE_PAGE && layout.align() <= HUGE_PAGE
    }
}

// SAFETY: a block is mapped here iff `mapped(layout)`, else it is
// `System`'s; `realloc` moves a block whose owner changes with its size.
// Mapped blocks are aligned to a huge page, so to any `align` they accept.
unsafe impl GlobalAlloc for Blocks {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if self.mapped(layout) {
            map(layout.size())
        } else {
            // SAFETY: the caller's contract is `System`'s.
            unsafe { System.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if self.mapped(layout) {
            // Fresh anonymous pages are zero: writing them would only
            // fault them in.
            map(layout.size())
        } else {
            // SAFETY: as above.
            unsafe { System.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        if self.mapped(layout) {
            // SAFETY: mapped by `map(layout.size())` or resized to it.
            unsafe { unmap(block, layout.size()) }
        } else {
            // SAFETY: a `System` block of this layout.
            unsafe { System.dealloc(block, layout) }
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `new_size` is valid for `layout.align()` (the caller's
        // contract).
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (self.mapped(layout), self.mapped(new_layout)) {
            // SAFETY: a `System` block staying one.
            (false, false) => unsafe { System.realloc(block, layout, new_size) },
            // SAFETY: a mapped block of `layout.size()` bytes.
            (true, true) => unsafe { remap(block, layout.size(), new_size) },
            // SAFETY: the block is this allocator's, with `layout`; the new
            // one is `new_layout`'s, and the smaller size is in both.
            _ => unsafe {
                let new_block = self.alloc(new_layout);
                if !new_block.is_null() {
                    std::ptr::copy_nonoverlapping(block, new_block, layout.size().min(new_size));
                    self.dealloc(block, layout);
                }
                new_block
            },
        }
    }
}

/// The system's page size, read once (0: unread).
static PAGE_SIZE: AtomicUsize = AtomicUsize::new(0);

/// `size` rounded up to whole pages; `None` on overflow.
fn page_rounded(size: usize) -> Option<usize> {
    let mut page = PAGE_SIZE.load(Ordering::Relaxed);
    if page == 0 {
        // SAFETY: sysconf only reads a constant of the system.
        let reported = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        page = usize::try_from(reported)
            .ok()
            .filter(|page| page.is_power_of_two())
            .unwrap_or(4096);
        PAGE_SIZE.store(page, Ordering::Relaxed);
    }
    Some(size.checked_add(page - 1)? & !(page - 1))
}

/// Asks for huge pages on a mapped range (no-op where refused: no THP,
/// an old kernel).
fn advise(block: *mut u8, len: usize) {
    // SAFETY: the range is a mapping of ours; the advice changes no
    // contents, and a refusal changes nothing.
    unsafe {
        libc::madvise(block.cast(), len, libc::MADV_HUGEPAGE);
    }
}

/// Maps `len` bytes (whole pages) at a huge page boundary, not yet
/// advised; null on failure.
fn reserve(len: usize) -> *mut u8 {
    let Some(slack_len) = len.checked_add(HUGE_PAGE) else {
        return std::ptr::null_mut();
    };
    // SAFETY: a fresh private anonymous mapping, aliasing nothing.
    let slack = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            slack_len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if slack == libc::MAP_FAILED {
        return std::ptr::null_mut();
    }
    let start = slack as usize;
    let aligned = start.next_multiple_of(HUGE_PAGE);
    let (before, after) = (aligned - start, start + slack_len - (aligned + len));
    // SAFETY: both ranges are the mapping's own slack, page aligned (the
    // mapping, `aligned` and `len` are), outside the block kept.
    unsafe {
        if before > 0 {
            libc::munmap(slack, before);
        }
        if after > 0 {
            libc::munmap((aligned + len) as *mut c_void, after);
        }
    }
    slack.wrapping_byte_add(before).cast()
}

/// A new mapped block of `size` bytes, zeroed, aligned and advised; null
/// on failure.
fn map(size: usize) -> *mut u8 {
    let Some(len) = page_rounded(size) else {
        return std::ptr::null_mut();
    };
    let block = reserve(len);
    if !block.is_null() {
        advise(block, len);
    }
    block
}

/// Unmaps a block of `size` bytes.
///
/// # Safety
/// `block` is a mapped block of `size` bytes, not used afterwards.
unsafe fn unmap(block: *mut u8, size: usize) {
    if let Some(len) = page_rounded(size) {
        // SAFETY: the block's own pages (the caller's contract).
        unsafe { libc::munmap(block.cast(), len) };
    }
}

/// Resizes a mapped block from `size` to `new_size` bytes (both at least a
/// huge page), keeping its contents and never holding them twice; null
/// on failure, when the block is left as it was.
///
/// # Safety
/// `block` is a mapped block of `size` bytes.
unsafe fn remap(block: *mut u8, size: usize, new_size: usize) -> *mut u8 {
    let (Some(len), Some(new_len)) = (page_rounded(size), page_rounded(new_size)) else {
        return std::ptr::null_mut();
    };
    if new_len <= len {
        if new_len < len {
            // SAFETY: the block's own tail pages, no longer in it.
            unsafe { libc::munmap(block.add(new_len).cast(), len - new_len) };
        }
        return block;
    }
    // SAFETY: the caller's contract, passed on.
    unsafe {
        grow_in_place(block, len, new_len).unwrap_or_else(|| grow_by_moving(block, len, new_len))
    }
}

/// Extends a mapped block of `len` bytes to `new_len` at its address, if
/// the addresses after it are free.
///
/// # Safety
/// `block` is a mapped block of `len` bytes (whole pages).
unsafe fn grow_in_place(block: *mut u8, len: usize, new_len: usize) -> Option<*mut u8> {
    // SAFETY: without MREMAP_MAYMOVE the mapping stays or nothing changes.
    let grown = unsafe { libc::mremap(block.cast(), len, new_len, 0) };
    if grown == libc::MAP_FAILED {
        return None;
    }
    advise(block, new_len);
    Some(block)
}

/// Moves a mapped block of `len` bytes to a fresh aligned range of
/// `new_len`: the kernel moves its page tables, not its bytes. Null on
/// failure, when the block is left as it was.
///
/// # Safety
/// `block` is a mapped block of `len` bytes (whole pages).
unsafe fn grow_by_moving(block: *mut u8, len: usize, new_len: usize) -> *mut u8 {
    let target = reserve(new_len);
    if target.is_null() {
        return target;
    }
    let flags = libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED;
    // SAFETY: the target is our reservation, which MREMAP_FIXED replaces;
    // it does not overlap the block, still mapped while it was made.
    let moved = unsafe { libc::mremap(block.cast(), len, new_len, flags, target) };
    if moved == libc::MAP_FAILED {
        // SAFETY: the reservation is ours and unused.
        unsafe { libc::munmap(target.cast(), new_len) };
        return std::ptr::null_mut();
    }
    advise(target, new_len);
    target
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a pattern on every 4093rd byte of the block's first `len`.
    fn fill(block: *mut u8, len: usize) {
        for i in (0..len).step_by(4093) {
            // SAFETY: `i < len`, inside the block (the callers' use).
            unsafe { block.add(i).write(i as u8) };
        }
    }

    /// Checks the pattern of [`fill`] on the block's first `len` bytes.
    fn check(block: *const u8, len: usize) {
        assert!(!block.is_null());
        for i in (0..len).step_by(4093) {
            // SAFETY: as above.
            assert_eq!(unsafe { block.add(i).read() }, i as u8, "byte {i}");
        }
    }

    /// Whether the block's first `len` bytes are zero.
    fn zero(block: *const u8, len: usize) -> bool {
        // SAFETY: as above.
        (0..len)
            .step_by(4093)
            .all(|i| unsafe { block.add(i).read() } == 0)
    }

    fn layout(size: usize) -> Layout {
        Layout::from_size_align(size, 8).unwrap()
    }

    #[test]
    fn only_0_and_off_turn_huge_pages_off() {
        assert!(huge_pages_wanted(None));
        assert!(huge_pages_wanted(Some(b"1")));
        assert!(huge_pages_wanted(Some(b"")));
        assert!(huge_pages_wanted(Some(b"00")));
        assert!(!huge_pages_wanted(Some(b"0")));
        assert!(!huge_pages_wanted(Some(b"off")));
        assert!(!huge_pages_wanted(Some(b"OFF")));
    }

    #[test]
    fn blocks_keep_their_bytes_across_grow_shrink_and_owner_changes() {
        for huge_pages in [true, false] {
            let blocks = Blocks { huge_pages };
            // SAFETY: valid layouts; every block is resized and freed with
            // its current layout.
            unsafe {
                // Small, grown large (System to mapped), grown, shrunk but
                // large, shrunk small (mapped to System), grown large.
                let mut size = 100_000;
                let mut block = blocks.alloc(layout(size));
                fill(block, size);
                for new_size in [3 << 20, 9 << 20, (5 << 20) + 1, 4096, 3 << 20] {
                    block = blocks.realloc(block, layout(size), new_size);
                    check(block, size.min(new_size));
                    if huge_pages && new_size >= HUGE_PAGE {
                        assert_eq!(block as usize % HUGE_PAGE, 0, "{new_size}");
                    }
                    fill(block, new_size);
                    size = new_size;
                }
                blocks.dealloc(block, layout(size));
            }
        }
    }

    #[test]
    fn the_global_allocator_keeps_blocks_growing_past_a_huge_page() {
        // Through `HugePages` (on or off, as the tests' environment says):
        // a block grown to exactly a huge page is then large.
        let a = HugePages;
        // SAFETY: valid layouts; the block is resized and freed with its
        // current layout.
        unsafe {
            let mut size = 1 << 20;
            let mut block = a.alloc(layout(size));
            fill(block, size);
            for new_size in [HUGE_PAGE, 2 * HUGE_PAGE, HUGE_PAGE - 1, 1 << 20] {
                block = a.realloc(block, layout(size), new_size);
                check(block, size.min(new_size));
                fill(block, new_size);
                size = new_size;
            }
            a.dealloc(block, layout(size));
        }
    }

    #[test]
    fn large_blocks_are_aligned_and_zeroed_as_asked() {
        for huge_pages in [true, false] {
            let blocks = Blocks { huge_pages };
            // SAFETY: valid layouts; every block is freed with its layout.
            unsafe {
                // Dirty memory first, so that a reused block would show.
                let dirty = blocks.alloc(layout(5 << 20));
                fill(dirty, 5 << 20);
                blocks.dealloc(dirty, layout(5 << 20));
                let zeroed = blocks.alloc_zeroed(layout(5 << 20));
                assert!(zero(zeroed, 5 << 20));
                blocks.dealloc(zeroed, layout(5 << 20));

                // Over-aligned asks are kept, mapped or not.
                let aligned = Layout::from_size_align(3 << 20, 1 << 16).unwrap();
                let block = blocks.alloc(aligned);
                assert_eq!(block as usize % (1 << 16), 0);
                if huge_pages {
                    assert_eq!(block as usize % HUGE_PAGE, 0);
                }
                blocks.dealloc(block, aligned);

                let small = Layout::from_size_align(100, 16).unwrap();
                let block = blocks.alloc(small);
                assert_eq!(block as usize % 16, 0);
                blocks.dealloc(block, small);
            }
        }
    }

    #[test]
    fn mapped_blocks_are_aligned_and_zero() {
        let block = map((3 << 20) + 5);
        assert!(!block.is_null());
        assert_eq!(block as usize % HUGE_PAGE, 0);
        assert!(zero(block, (3 << 20) + 5));
        // SAFETY: the block just mapped, with its size.
        unsafe { unmap(block, (3 << 20) + 5) };
    }

    #[test]
    fn growing_in_place_keeps_address_and_bytes() {
        // Other tests map and unmap concurrently and may take the room
        // freed after the block: a few tries, one of which must work.
        let grown_in_place = (0..5).any(|_| {
            let room = map(8 << 20);
            assert!(!room.is_null());
            // SAFETY: the second half of the mapping, unmapped to leave
            // room; the first half is the block, grown into it and freed.
            unsafe {
                libc::munmap(room.add(4 << 20).cast(), 4 << 20);
                fill(room, 4 << 20);
                match grow_in_place(room, 4 << 20, 8 << 20) {
                    Some(grown) => {
                        assert_eq!(grown, room);
                        check(grown, 4 << 20);
                        assert!(zero(grown.add(4 << 20), 4 << 20));
                        unmap(grown, 8 << 20);
                        true
                    }
                    None => {
                        unmap(room, 4 << 20);
                        false
                    }
                }
            }
        });
        assert!(grown_in_place);
    }

    #[test]
    fn growing_by_moving_keeps_bytes_at_a_new_aligned_address() {
        let block = map(3 << 20);
        assert!(!block.is_null());
        fill(block, 3 << 20);
        // SAFETY: the block just mapped, grown once and freed at its size.
        unsafe {
            let moved = grow_by_moving(block, 3 << 20, 7 << 20);
            assert!(!moved.is_null());
            assert_ne!(moved, block);
            assert_eq!(moved as usize % HUGE_PAGE, 0);
            check(moved, 3 << 20);
            assert!(zero(moved.add(3 << 20), 4 << 20));
            fill(moved, 7 << 20);
            unmap(moved, 7 << 20);
        }
    }

    #[test]
    fn shrinking_a_mapped_block_keeps_it_in_place() {
        let block = map(9 << 20);
        fill(block, 9 << 20);
        // SAFETY: the block just mapped, shrunk, grown and freed at its size.
        unsafe {
            let shrunk = remap(block, 9 << 20, 3 << 20);
            assert_eq!(shrunk, block);
            check(shrunk, 3 << 20);
            // The tail is given back: mincore refuses unmapped pages.
            let mut residency = [0u8; 1];
            let tail = libc::mincore(block.add(3 << 20).cast(), 4096, residency.as_mut_ptr());
            assert_eq!(tail, -1);
            let grown = remap(shrunk, 3 << 20, 10 << 20);
            check(grown, 3 << 20);
            assert!(zero(grown.add(3 << 20), 7 << 20));
            unmap(grown, 10 << 20);
        }
    }
}
