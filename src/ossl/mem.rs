//! Counting libcrypto's heap: [`count_allocations`] installs allocation
//! functions (`CRYPTO_set_mem_functions`) that keep the number of live
//! bytes, read with [`live_bytes`]. libcrypto accepts them only before its
//! first allocation, so call it first thing in a process made for measuring
//! (the memory benchmark), never in the harness.

use std::ffi::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::ffi;

static LIVE: AtomicUsize = AtomicUsize::new(0);

/// Each block carries its size in a header this big (keeps 16-byte
/// alignment).
const HEADER: usize = 16;

unsafe extern "C" fn counted_malloc(n: usize, _file: *const c_char, _line: c_int) -> *mut c_void {
    // SAFETY: a plain malloc of the block and its header; NULL is passed on.
    let p = unsafe { libc_malloc(n + HEADER) } as *mut usize;
    if p.is_null() {
        return p.cast();
    }
    // SAFETY: `p` points at HEADER fresh bytes, aligned for a usize.
    unsafe { p.write(n) };
    LIVE.fetch_add(n, Ordering::Relaxed);
    // SAFETY: the block is HEADER + n bytes long.
    unsafe { p.cast::<u8>().add(HEADER).cast() }
}

unsafe extern "C" fn counted_free(p: *mut c_void, _file: *const c_char, _line: c_int) {
    if p.is_null() {
        return;
    }
    // SAFETY: `p` came from counted_malloc/realloc, HEADER bytes into the
    // block that holds its size.
    unsafe {
        let block = p.cast::<u8>().sub(HEADER).cast::<usize>();
        LIVE.fetch_sub(block.read(), Ordering::Relaxed);
        libc_free(block.cast());
    }
}

unsafe extern "C" fn counted_realloc(
    p: *mut c_void,
    n: usize,
    file: *const c_char,
    line: c_int,
) -> *mut c_void {
    if p.is_null() {
        // SAFETY: realloc(NULL, n) is malloc(n).
        return unsafe { counted_malloc(n, file, line) };
    }
    // SAFETY: as in counted_free; the block is resized with its header.
    unsafe {
        let block = p.cast::<u8>().sub(HEADER).cast::<usize>();
        let old = block.read();
        let q = libc_realloc(block.cast(), n + HEADER) as *mut usize;
        if q.is_null() {
            return q.cast();
        }
        q.write(n);
        LIVE.fetch_sub(old, Ordering::Relaxed);
        LIVE.fetch_add(n, Ordering::Relaxed);
        q.cast::<u8>().add(HEADER).cast()
    }
}

unsafe extern "C" {
    #[link_name = "malloc"]
    fn libc_malloc(n: usize) -> *mut c_void;
    #[link_name = "realloc"]
    fn libc_realloc(p: *mut c_void, n: usize) -> *mut c_void;
    #[link_name = "free"]
    fn libc_free(p: *mut c_void);
}

/// Installs the counting allocation functions. False if libcrypto has
/// already allocated (then nothing is counted).
pub fn count_allocations() -> bool {
    // SAFETY: the three functions match libcrypto's signatures and keep
    // its blocks valid; libcrypto refuses them once it has allocated.
    unsafe {
        ffi::CRYPTO_set_mem_functions(
            Some(counted_malloc),
            Some(counted_realloc),
            Some(counted_free),
        ) == 1
    }
}

/// The bytes libcrypto holds now, counted since [`count_allocations`]
/// (what it asked for, without the allocator's own overhead).
pub fn live_bytes() -> usize {
    LIVE.load(Ordering::Relaxed)
}
