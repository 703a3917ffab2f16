//! Work over fixed-size chunks: serial by default, spread over rayon's thread pool with the
//! `parallel` feature. The chunks and the order in which their results are combined are the
//! same either way, so every result is bit-for-bit independent of the feature and of the
//! number of threads.

use crate::Result;

/// Rows per chunk of a likelihood sum: large enough that scheduling costs nothing next to the
/// work (a chunk takes tens of microseconds), small enough to balance a few hundred chunks per
/// million rows over the cores. It fixes the order of the sums, so fits do not depend on it.
pub(crate) const CHUNK: usize = 4096;

/// Customers per chunk of a per-customer map (scoring, CLV): smaller, because one customer
/// can cost microseconds (a DERT quadrature, a long finite-horizon sum), so that even a few
/// thousand customers spread over the cores.
pub(crate) const ITEM_CHUNK: usize = 256;

/// `f` over the index ranges of the chunks of `0..len` (of `CHUNK` rows), in chunk order.
pub(crate) fn map_ranges<U, F>(len: usize, f: F) -> Vec<U>
where
    U: Send,
    F: Fn(std::ops::Range<usize>) -> U + Sync + Send,
{
    map_ranges_of(len, CHUNK, f)
}

/// `f` over the index ranges of the chunks of `0..len` of `size` each, in chunk order.
fn map_ranges_of<U, F>(len: usize, size: usize, f: F) -> Vec<U>
where
    U: Send,
    F: Fn(std::ops::Range<usize>) -> U + Sync + Send,
{
    let chunks = len.div_ceil(size);
    let range = move |i: usize| i * size..((i + 1) * size).min(len);
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        (0..chunks).into_par_iter().map(|i| f(range(i))).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        (0..chunks).map(|i| f(range(i))).collect()
    }
}

/// `f` over every chunk of `items` (of [`ITEM_CHUNK`] items), the results in chunk order.
pub(crate) fn map_chunks<T, U, F>(items: &[T], f: F) -> Vec<U>
where
    T: Sync,
    U: Send,
    F: Fn(&[T]) -> U + Sync + Send,
{
    map_ranges_of(items.len(), ITEM_CHUNK, |r| f(items.get(r).unwrap_or(&[])))
}

/// `f` over every item, in order; the error of the first item that fails.
pub(crate) fn try_map<T, U, F>(items: &[T], f: F) -> Result<Vec<U>>
where
    T: Sync,
    U: Send,
    F: Fn(&T) -> Result<U> + Sync + Send,
{
    let chunks = map_chunks(items, |chunk| chunk.iter().map(&f).collect::<Result<Vec<U>>>());
    let mut out = Vec::with_capacity(items.len());
    for chunk in chunks {
        out.extend(chunk?);
    }
    Ok(out)
}

/// `f` over every item, in order.
pub(crate) fn map<T, U, F>(items: &[T], f: F) -> Vec<U>
where
    T: Sync,
    U: Send,
    F: Fn(&T) -> U + Sync + Send,
{
    map_with(items, |_: &mut (), item| f(item))
}

/// `f` over every item, in order, with a scratch state `S` (a memo of what items share) made
/// once for the whole run when serial and, with the `parallel` feature, once per task of at
/// least [`ITEM_CHUNK`] consecutive items, whose results rayon writes straight into the
/// output; `f`'s results must not depend on the state.
pub(crate) fn map_with<T, S, U, F>(items: &[T], f: F) -> Vec<U>
where
    T: Sync,
    S: Default + Send,
    U: Send,
    F: Fn(&mut S, &T) -> U + Sync + Send,
{
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        items.par_iter().with_min_len(ITEM_CHUNK).map_init(S::default, |state, item| f(state, item)).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        let mut state = S::default();
        items.iter().map(|item| f(&mut state, item)).collect()
    }
}
